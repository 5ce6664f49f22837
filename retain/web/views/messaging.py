"""Messages: the outbound log (status, attempts, errors, retry), the suppression list, and marking an
address bounced by hand.

Everyone in the workspace reads; anyone who may write retries a failed message, adds an address to
the suppression list or marks a bounce; taking an address off the list is for managers and admins.
Logic lives in retain.messaging.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from retain import access
from retain.messaging import selectors, services
from retain.messaging.choices import Channel, DeliveryStatus, EmailEventType, SuppressionReason
from retain.messaging.tokens import webhook_secret
from retain.tenancy.models import Member
from retain.web.decorators import workspace_view

VIA = "web"
LOG_ROWS = 200  # newest messages shown; the API pages through all of them


def _errors(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@require_GET
@workspace_view
def messages_page(request: HttpRequest, member: Member) -> HttpResponse:
    workspace = member.workspace
    status = request.GET.get("status", "")
    status = status if status in DeliveryStatus.values else ""
    channel = request.GET.get("channel", "")
    channel = channel if channel in Channel.values else ""
    search = request.GET.get("q", "").strip()[:200]
    rows = list(selectors.messages(workspace, status=status, channel=channel)[:LOG_ROWS])
    for message in rows:
        message.body = selectors.body_for_members(message)  # shown, never saved
    context = {
        "rows": rows,
        "counts": selectors.status_counts(workspace),
        "status": status,
        "channel": channel,
        "statuses": DeliveryStatus.choices,
        "channels": Channel.choices,
        "suppressions": selectors.suppressions(workspace, search=search)[:LOG_ROWS],
        "search": search,
        "reasons": SuppressionReason.choices,
        "event_types": EmailEventType.choices,
        "can_write": member.can_write,
        "can_manage": member.can_manage,
        # What a webhook receiver checks Retain-Signature with (see retain/messaging/tokens.py).
        "webhook_secret": webhook_secret(workspace.pk) if member.is_admin else "",
        "log_rows": LOG_ROWS,
    }
    return render(request, "web/messaging/messages.html", context)


@require_POST
@workspace_view
def message_retry(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    message = access.get_rw_message_for_user(member, pk)
    try:
        services.message_retry(message=message, actor=member)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, f"Message to {message.to} queued again.")
    return redirect("messages", member.workspace.slug)


@require_POST
@workspace_view
def suppression_add(request: HttpRequest, member: Member) -> HttpResponse:
    access.require_write(member)
    try:
        suppression = services.suppression_add(
            workspace=member.workspace,
            email=request.POST.get("email", ""),
            reason=request.POST.get("reason") or SuppressionReason.MANUAL,
            note=request.POST.get("note", ""),
            actor=member,
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, f"{suppression.email} will get no more e-mail.")
    return redirect("messages", member.workspace.slug)


@require_POST
@workspace_view
def suppression_remove(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    suppression = access.get_rw_suppression_for_user(member, pk)
    services.suppression_remove(suppression=suppression, actor=member)
    messages.success(request, f"{suppression.email} is off the suppression list.")
    return redirect("messages", member.workspace.slug)


@require_POST
@workspace_view
def bounce_mark(request: HttpRequest, member: Member) -> HttpResponse:
    """A bounce or complaint reported by hand (a reply from a mailer daemon, a phone call)."""
    access.require_write(member)
    email = request.POST.get("email", "").strip()
    event_type = request.POST.get("type") or EmailEventType.BOUNCE
    if not email or "@" not in email:
        messages.error(request, "Enter the e-mail address that bounced.")
    elif event_type not in EmailEventType.values:
        messages.error(request, f"Choose one of: {', '.join(EmailEventType.values)}.")
    else:
        counts = services.email_events_record(
            workspace=member.workspace,
            events=[{"email": email, "type": event_type, "reason": request.POST.get("reason", "")[:500]}],
            actor=member,
            via=VIA,
        )
        marked = counts["contacts_marked"]
        messages.success(
            request,
            f"{email} suppressed; {marked} contact{'s' if marked != 1 else ''} marked."
            if marked
            else f"{email} suppressed (no contact newly marked).",
        )
    return redirect("messages", member.workspace.slug)
