"""The audit log: who changed what in the workspace, filtered and paged, and as CSV. Admins only.

Downloading the CSV is itself an export, so it writes an audit entry of its own.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from retain import access
from retain.lib.dates import start_of_day
from retain.tenancy import selectors
from retain.tenancy.choices import AuditAction
from retain.tenancy.models import AuditEntry, Member
from retain.tenancy.services import audit_record
from retain.web.decorators import workspace_view
from retain.web.downloads import csv_stream
from retain.web.forms_admin import AuditFilterForm
from retain.web.views.accounts import in_workspace_time

PAGE_SIZE = 50
CSV_HEADER = ["at", "actor", "action", "target_type", "target_id", "target", "detail"]


def _entries(member: Member, form: AuditFilterForm) -> Any:
    data = form.cleaned_data
    tz = member.workspace.time_zone
    since = start_of_day(data["since"], tz) if data.get("since") else None
    before = start_of_day(data["until"] + dt.timedelta(days=1), tz) if data.get("until") else None
    return selectors.audit_entries(
        member.workspace,
        action=data.get("action") or "",
        actor_id=data.get("actor"),
        since=since,
        before=before,
        search=(data.get("q") or "").strip(),
    )


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _detail_lines(detail: dict[str, Any]) -> list[str]:
    """A change's detail as lines: "role: csm → manager" for a [before, after] pair, else the value."""
    lines = []
    for key, value in detail.items():
        label = key.replace("_", " ")
        if isinstance(value, list) and len(value) == 2:
            lines.append(f"{label}: {_shown(value[0])} → {_shown(value[1])}")
        elif isinstance(value, dict):
            lines.append(f"{label}: " + ", ".join(f"{k}={_shown(v)}" for k, v in value.items()))
        else:
            lines.append(f"{label}: {_shown(value)}")
    return lines


def _form(request: HttpRequest, member: Member) -> AuditFilterForm:
    access.require_admin(member)
    return AuditFilterForm(request.GET, workspace=member.workspace)


@require_GET
@workspace_view
@in_workspace_time
def audit_log(request: HttpRequest, member: Member) -> HttpResponse:
    form = _form(request, member)
    if not form.is_valid():
        return render(request, "web/admin/audit.html", {"form": form, "page": None, "query": ""}, status=400)
    page = Paginator(_entries(member, form), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    rows = [(entry, _detail_lines(entry.detail)) for entry in page]
    context: dict[str, Any] = {"form": form, "page": page, "rows": rows, "query": query.urlencode()}
    return render(request, "web/admin/audit.html", context)


def _csv_rows(entries: Any) -> Iterator[list[Any]]:
    """Times in UTC (ISO 8601), so the file sorts and compares the same wherever it is opened."""
    yield CSV_HEADER
    entry: AuditEntry
    for entry in entries.iterator(chunk_size=500):
        yield [
            entry.at.astimezone(dt.UTC).isoformat(),
            entry.actor_name or "system",
            entry.action,
            entry.target_type,
            entry.target_id,
            entry.target,
            json.dumps(entry.detail, sort_keys=True, ensure_ascii=False),
        ]


@require_GET
@workspace_view  # type: ignore[arg-type]  # a streamed CSV is a response too
def audit_log_csv(request: HttpRequest, member: Member) -> HttpResponseBase:
    form = _form(request, member)
    if not form.is_valid():
        problems = "; ".join(f"{field}: {' '.join(map(str, errors))}" for field, errors in form.errors.items())
        return HttpResponseBadRequest(problems, content_type="text/plain; charset=utf-8")
    with transaction.atomic():
        audit_record(
            workspace=member.workspace,
            actor=member,
            action=AuditAction.EXPORT,
            target="audit log",
            detail={"filters": {k: v for k, v in request.GET.items() if v and k != "page"}},
        )
    entries = _entries(member, form)
    return csv_stream(_csv_rows(entries), f"{member.workspace.slug}-audit-log.csv")
