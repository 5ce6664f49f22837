"""Imports in the web UI (CSV records, product event history): the recent runs, an upload form, each run's report.

Every member sees the runs and their reports; only managers and admins upload, because an import
touches any account in the workspace (a CSM's book is not a boundary a CRM export respects).
The request only stores the file (capped by IMPORT_MAX_BYTES) and queues the run: a worker writes
it in checkpointed chunks (accounts.imports.background) while the run's page polls its progress.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from retain import access
from retain.accounts.imports import STREAM_KINDS, run_counts, run_summary
from retain.accounts.imports.background import import_enqueue
from retain.accounts.models import ImportRun
from retain.tenancy.models import Member
from retain.web.decorators import workspace_view
from retain.web.forms_imports import ImportForm
from retain.web.views.jobs import duration_text

RECENT_RUNS = 50


@require_http_methods(["GET", "POST"])
@workspace_view
def import_list(request: HttpRequest, member: Member) -> HttpResponse:
    form = ImportForm()
    status = 200
    if request.method == "POST":
        access.require_manager(member)
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            run = import_enqueue(
                workspace=member.workspace,
                actor=member,
                kind=form.cleaned_data["kind"],
                filename=upload.name or "upload.csv",
                source=upload,
                dry_run=form.cleaned_data["dry_run"],
                allow_partial=form.cleaned_data["allow_partial"],
            )
            return redirect("import", member.workspace.slug, run.pk)
        status = 400
    runs = access.scoped(member, ImportRun.objects.select_related("created_by__user")).order_by("-created_at", "-id")
    context = {"form": form, "runs": runs[:RECENT_RUNS], "can_import": member.can_manage}
    return render(request, "web/imports.html", context, status=status)


@require_GET
@workspace_view
def import_detail(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    run = access.get_for_member(member, ImportRun.objects.select_related("created_by__user"), pk)
    return render(request, "web/import_detail.html", _run_context(run))


@require_GET
@workspace_view
def import_progress(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    """The run's status block alone, which the run's page polls (htmx) until the import has ended."""
    run = access.get_for_member(member, ImportRun.objects.select_related("created_by__user"), pk)
    return render(request, "web/partials/import_run.html", _run_context(run))


def _run_context(run: ImportRun) -> dict[str, object]:
    took = None
    if run.started_at is not None and run.finished_at is not None:
        took = duration_text(run.finished_at - run.started_at)
    return {
        "run": run,
        "summary": run_summary(run),
        "counts": run_counts(run),
        "stream": run.kind in STREAM_KINDS,
        "took": took,
    }
