"""A member's notifications: the bell's count (fetched by htmx), the list, marking read.

Everyone reads only their own: another member's notification answers 404 like another workspace's.
Reads and writes go through team.notifications.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from retain.team import notifications
from retain.team.models import Notification
from retain.tenancy.models import Member
from retain.web.decorators import workspace_view
from retain.web.downloads import csv_response

SHOWN = 100


def target_url(member: Member, notification: Notification) -> str:
    """Where a notification leads: its task, else its account, else the list."""
    slug = member.workspace.slug
    if notification.task_id is not None:
        return reverse("task", args=[slug, notification.task_id])
    if notification.account_id is not None:
        return reverse("account", args=[slug, notification.account_id])
    return reverse("notifications", args=[slug])


def _own(member: Member, pk: int) -> Notification:
    found = notifications.for_member(member).filter(pk=pk).first()
    if found is None:
        raise Http404("No such notification")
    return found


@require_GET
@workspace_view
def notification_list(request: HttpRequest, member: Member) -> HttpResponse:
    """What needs me: newest first, unread ones marked; ?unread=1 for the unread only; CSV."""
    rows = notifications.for_member(member)
    unread_only = request.GET.get("unread") == "1"
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    if request.GET.get("format") == "csv":
        table: list[list[object]] = [["created_at", "kind", "text", "account", "task", "read_at"]]
        table += [
            [
                n.created_at.isoformat(),
                n.kind,
                n.text,
                n.account_id,
                n.task_id,
                n.read_at.isoformat() if n.read_at else "",
            ]
            for n in rows
        ]
        return csv_response(table, f"{member.workspace.slug}-notifications.csv")
    shown = list(rows[:SHOWN])
    context = {
        "rows": [(n, target_url(member, n)) for n in shown],
        "unread": notifications.unread_count(member),
        "unread_only": unread_only,
    }
    return render(request, "web/notifications/list.html", context)


@require_GET
@workspace_view
def notification_count(request: HttpRequest, member: Member) -> HttpResponse:
    """The bell's count, as a fragment htmx swaps into the top bar."""
    return render(request, "web/notifications/bell_count.html", {"unread": notifications.unread_count(member)})


@require_POST
@workspace_view
def notification_read(request: HttpRequest, member: Member) -> HttpResponse:
    """Mark one notification read (`id`), or all of them when no id is given."""
    raw = request.POST.get("id", "")
    if raw:
        if not raw.isdigit():
            return HttpResponse("id: must be a notification's number", status=400)
        notifications.mark_read(member=member, ids=[_own(member, int(raw)).pk])
    else:
        notifications.mark_read(member=member)
    return redirect("notifications", member.workspace.slug)


@require_http_methods(["POST"])
@workspace_view
def notification_open(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    """Open a notification: marked read, then on to its task or account."""
    notification = _own(member, pk)
    notifications.mark_read(member=member, ids=[notification.pk])
    return redirect(target_url(member, notification))
