"""The inbound webhooks: /hooks/inbound/<token>/<provider>/ for each provider (see tokens.py, intake.py).

No login and no CSRF token: the providers post from their servers. The token in the address names
the workspace (404 when it is not one we made); Mailgun and Slack requests must also carry a valid
signature (403 otherwise), Zendesk and Intercom when the workspace keeps their secret. Answers:
201 a new message, 200 one already kept (the provider retried), 400 a payload without a question
(`{"errors": {field: [message]}}`), and for Slack the URL verification challenge.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from retain.routing import intake, selectors, services, tokens
from retain.routing.models import RoutingSetup
from retain.tenancy.models import Workspace

MAX_BODY = 1_000_000


def _workspace(token: str) -> Workspace:
    workspace_id = tokens.workspace_of(token)
    found = Workspace.objects.filter(pk=workspace_id).first() if workspace_id else None
    if found is None:
        raise Http404("No such inbound address")
    return found


def _error(field: str, message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"errors": {field: [message]}}, status=status)


def _json(request: HttpRequest) -> Any:
    if len(request.body) > MAX_BODY:
        raise intake.IntakeError("body", f"must be at most {MAX_BODY} bytes")
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise intake.IntakeError("body", "must be JSON") from None


def _keep(workspace: Workspace, received: intake.Received) -> JsonResponse:
    account = None
    if received.channel:
        account = selectors.channel_account(workspace, received.channel)
    message, created = services.inbound_receive(
        workspace=workspace,
        source=received.source,
        text=received.text,
        subject=received.subject,
        sender=received.sender,
        source_message_id=received.source_message_id,
        received_at=received.received_at,
        account=account,
    )
    body = {"id": message.pk, "desk": message.desk, "category": message.category, "created": created}
    return JsonResponse(body, status=201 if created else 200)


def _receive(read: Callable[[HttpRequest, Workspace, RoutingSetup], intake.Received | HttpResponse | None]) -> Any:
    @csrf_exempt
    @require_POST
    def view(request: HttpRequest, token: str) -> HttpResponse:
        workspace = _workspace(token)
        setup = services.routing_setup_get(workspace=workspace)
        try:
            received = read(request, workspace, setup)
            if received is None:  # an event that is not a question (Slack: an edit, a bot)
                return JsonResponse({"ignored": True})
            if isinstance(received, HttpResponse):
                return received
            return _keep(workspace, received)
        except (intake.IntakeError, services.RoutingError) as error:
            return _error(error.field, error.message)

    view.__doc__ = read.__doc__
    return view


def _generic(request: HttpRequest, workspace: Workspace, setup: RoutingSetup) -> intake.Received:
    """Any system posting JSON."""
    return intake.generic(_json(request))


def _postmark(request: HttpRequest, workspace: Workspace, setup: RoutingSetup) -> intake.Received:
    """Postmark inbound: JSON, unsigned (the token; Postmark can add basic auth to the address too)."""
    return intake.postmark(_json(request))


def _sendgrid(request: HttpRequest, workspace: Workspace, setup: RoutingSetup) -> intake.Received:
    """SendGrid inbound parse: a form, unsigned."""
    return intake.sendgrid(request.POST.dict())


def _mailgun(request: HttpRequest, workspace: Workspace, setup: RoutingSetup) -> intake.Received | HttpResponse:
    """Mailgun inbound route: a form signed with the webhook signing key."""
    form = request.POST.dict()
    if not tokens.mailgun_valid(
        setup.mailgun_signing_key, form.get("timestamp", ""), form.get("token", ""), form.get("signature", "")
    ):
        return _error("signature", "does not match this workspace's Mailgun signing key", 403)
    return intake.mailgun(form)


def _zendesk(request: HttpRequest, workspace: Workspace, setup: RoutingSetup) -> intake.Received | HttpResponse:
    """Zendesk new-ticket webhook, checked against its signing secret when the workspace keeps it."""
    if setup.zendesk_signing_secret and not tokens.zendesk_valid(
        setup.zendesk_signing_secret,
        request.headers.get("X-Zendesk-Webhook-Signature-Timestamp", ""),
        request.body,
        request.headers.get("X-Zendesk-Webhook-Signature", ""),
    ):
        return _error("signature", "does not match this workspace's Zendesk signing secret", 403)
    return intake.zendesk(_json(request))


def _intercom(request: HttpRequest, workspace: Workspace, setup: RoutingSetup) -> intake.Received | HttpResponse:
    """Intercom new-conversation notification, checked against the app's client secret when kept."""
    if setup.intercom_client_secret and not tokens.intercom_valid(
        setup.intercom_client_secret, request.body, request.headers.get("X-Hub-Signature", "")
    ):
        return _error("signature", "does not match this workspace's Intercom client secret", 403)
    return intake.intercom(_json(request))


def _slack(request: HttpRequest, workspace: Workspace, setup: RoutingSetup) -> intake.Received | HttpResponse | None:
    """Slack Events API: signed; answers URL verification; a retry (same event_id) is kept once."""
    if not tokens.slack_valid(
        setup.slack_signing_secret,
        request.headers.get("X-Slack-Request-Timestamp", ""),
        request.body,
        request.headers.get("X-Slack-Signature", ""),
    ):
        return _error("signature", "does not match this workspace's Slack signing secret", 403)
    data = _json(request)
    if isinstance(data, dict) and data.get("type") == "url_verification":
        return JsonResponse({"challenge": str(data.get("challenge", ""))})
    return intake.slack(data)


generic = _receive(_generic)
postmark = _receive(_postmark)
sendgrid = _receive(_sendgrid)
mailgun = _receive(_mailgun)
zendesk = _receive(_zendesk)
intercom = _receive(_intercom)
slack = _receive(_slack)
