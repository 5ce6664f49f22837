"""Segments: saved account filters, re-evaluated every time they are used.

A segment is saved from the accounts list (its filter fields are posted as they were in the list's
query) and opened by sending the user back to the list with those criteria as the query again.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from retain import access
from retain.accounts import services as account_services
from retain.accounts.models import Account, Segment
from retain.accounts.segments import describe
from retain.accounts.selectors import accounts_matching, workspace_today
from retain.tenancy.models import Member
from retain.web.decorators import workspace_view
from retain.web.forms import MULTI_CRITERIA, SINGLE_CRITERIA, add_service_errors
from retain.web.forms_admin import (
    SegmentNameForm,
    segment_criteria_from,
)


def _live_counts(member: Member, segments: list[Segment]) -> dict[int, int]:
    """How many accounts each segment matches right now, in one query however many segments.

    Each segment's criteria become a `pk IN (subquery)` filter on one conditional count over the
    workspace's accounts, so the database evaluates them all in a single statement.
    """
    if not segments:
        return {}
    workspace = member.workspace
    today = workspace_today(workspace)
    counts: dict[str, Any] = {
        f"s{segment.pk}": Count(
            "pk", filter=Q(pk__in=accounts_matching(workspace, segment.criteria, today=today).order_by().values("pk"))
        )
        for segment in segments
    }
    row = access.scoped(member, Account.objects.all()).aggregate(**counts)
    return {segment.pk: int(row[f"s{segment.pk}"] or 0) for segment in segments}


@workspace_view
def segment_list(request: HttpRequest, member: Member) -> HttpResponse:
    segments = list(access.scoped(member, Segment.objects.select_related("created_by__user")).order_by("name"))
    counts = _live_counts(member, segments)
    rows = [
        {
            "segment": segment,
            "description": describe(segment.criteria),
            "count": counts[segment.pk],
            "can_delete": member.can_manage or (member.can_write and segment.created_by_id == member.pk),
        }
        for segment in segments
    ]
    return render(request, "web/admin/segments.html", {"rows": rows})


@require_POST
@workspace_view
def segment_save(request: HttpRequest, member: Member) -> HttpResponse:
    access.require_write(member)
    criteria = segment_criteria_from(request.POST)
    form = SegmentNameForm(request.POST)
    if form.is_valid():
        try:
            segment = account_services.segment_create(
                workspace=member.workspace, actor=member, name=form.cleaned_data["name"], criteria=criteria
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Segment {segment.name} saved.")
            return redirect("segment", member.workspace.slug, segment.pk)
    # Show the refusal with the criteria carried along, so fixing the name is all it takes.
    hidden = [(key, value) for key in MULTI_CRITERIA for value in request.POST.getlist(key) if value != ""]
    hidden += [(key, request.POST[key]) for key in SINGLE_CRITERIA if request.POST.get(key, "") != ""]
    context = {"form": form, "hidden": hidden, "description": describe(criteria)}
    return render(request, "web/admin/segment_save.html", context, status=400)


@workspace_view
def segment_open(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    segment = access.get_segment_for_user(member, pk)
    # Trait criteria have no accounts-list field (they come from the API); the list can read them
    # from the segment itself, which `segment` identifies.
    query = {key: value for key, value in segment.criteria.items() if key != "traits"}
    query["segment"] = segment.pk
    return redirect(reverse("accounts", args=[member.workspace.slug]) + "?" + urlencode(query, doseq=True))


@require_POST
@workspace_view
def segment_delete(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    segment = access.get_rw_segment_for_user(member, pk)
    account_services.segment_delete(segment=segment)
    messages.success(request, f"Segment {segment.name} deleted.")
    return redirect("segments", member.workspace.slug)
