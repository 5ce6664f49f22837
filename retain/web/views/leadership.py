"""The leadership pack (seed 001's key performance metrics) for a quarter: the page and its PDF.

Thin: the pack is built by retain.reports.leadership from the same functions the revenue, health,
renewals and QBR coverage pages use, and rendered from the same template as the PDF and the
`retain report portfolio` file. Every member of the workspace reads it, as they read those pages.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from retain.accounts.selectors import workspace_today
from retain.reports import leadership, periods
from retain.reports import render as pack_render
from retain.tenancy.models import Member, Workspace
from retain.web.decorators import workspace_view
from retain.web.views.accounts import in_workspace_time


def _quarter(request: HttpRequest, workspace: Workspace) -> tuple[periods.Quarter, str]:
    """The quarter asked for (?period=2026Q4), the current one by default; an error names the field."""
    current = periods.quarter_of(workspace_today(workspace))
    text = request.GET.get("period", "").strip()
    if not text:
        return current, ""
    try:
        return periods.parse(text), ""
    except ValueError as exc:
        return current, f"period: {exc}"


@require_GET
@workspace_view
@in_workspace_time
def leadership_pack(request: HttpRequest, member: Member) -> HttpResponse:
    workspace = member.workspace
    today = workspace_today(workspace)
    quarter, error = _quarter(request, workspace)
    context: dict[str, Any] = {"workspace": workspace, "error": error, "asked": request.GET.get("period", "")}
    if error:
        return render(request, "web/leadership/pack.html", context, status=400)
    data = leadership.build(workspace, quarter, today=today)
    current = periods.quarter_of(today)
    choices = [current]
    for _ in range(3):
        choices.append(choices[-1].previous())
    context |= pack_render.leadership_context(data) | {
        "pdf": False,
        "quarter": quarter,
        "choices": [q.name for q in choices],
    }
    return render(request, "web/leadership/pack.html", context)


@require_GET
@workspace_view
@in_workspace_time
def leadership_pack_pdf(request: HttpRequest, member: Member) -> HttpResponse:
    workspace = member.workspace
    quarter, error = _quarter(request, workspace)
    if error:
        return HttpResponse(error, status=400, content_type="text/plain")
    data = leadership.build(workspace, quarter, today=workspace_today(workspace))
    try:
        document = pack_render.leadership_pdf(data)
    except pack_render.PdfUnavailable as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain")
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="leadership-{workspace.slug}-{quarter.name}.pdf"'
    return response
