"""Inbound questions: the inbox by desk (triage first), the unmatched senders, product feedback,
the routing measures and the team's rules. Thin readers of retain.routing; writes go through its
services (a new question from the form, a correction, an answer, the rules)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from retain import access
from retain.accounts.figures import Period
from retain.accounts.models import Account
from retain.accounts.selectors import workspace_today
from retain.lib.columns import parse_whole
from retain.lib.definitions import DefinitionError
from retain.routing import selectors, services
from retain.routing.categories import CATEGORIES
from retain.routing.choices import Desk, Source
from retain.routing.tokens import inbound_token
from retain.tenancy.models import Member
from retain.web.decorators import workspace_view

INBOX_ROWS = 100
DESKS = [(Desk.TRIAGE, "Triage"), (Desk.CSM, "Customer success"), (Desk.SUPPORT, "Support"), ("all", "All")]
PERIODS = (30, 90, 365)


@require_GET
@workspace_view
def inbound(request: HttpRequest, member: Member) -> HttpResponse:
    workspace = member.workspace
    desk = request.GET.get("desk", Desk.TRIAGE)
    desk = desk if desk in dict(DESKS) else Desk.TRIAGE
    rows = selectors.workspace_inbound(workspace).prefetch_related("corrections__by__user")
    if desk != "all":
        rows = rows.filter(desk=desk)
    counts = {key: selectors.workspace_inbound(workspace).filter(desk=key).count() for key, _ in DESKS[:3]}
    context = {
        "rows": rows[:INBOX_ROWS],
        "desk": desk,
        "desks": [(key, label, counts.get(key)) for key, label in DESKS],
        "categories": [(key, label, desk_of) for key, (desk_of, label) in CATEGORIES.items()],
        "can_write": member.can_write,
        "inbox_rows": INBOX_ROWS,
    }
    return render(request, "web/inbound/inbox.html", context)


@require_POST
@workspace_view
def inbound_new(request: HttpRequest, member: Member) -> HttpResponse:
    """A question typed in by hand (a phone call, a hallway conversation), routed like any other."""
    access.require_write(member)
    try:
        message, _ = services.inbound_receive(
            workspace=member.workspace,
            source=Source.FORM,
            sender=request.POST.get("sender", ""),
            subject=request.POST.get("subject", ""),
            text=request.POST.get("text", ""),
        )
    except services.RoutingError as error:
        messages.error(request, f"{error.field.capitalize()} {error.message}.")
        return redirect("inbound", member.workspace.slug)
    messages.success(request, f"Question kept and sent to {message.get_desk_display()}: {message.reason}.")
    return redirect(f"{_inbox(member)}?desk={message.desk}")


def _inbox(member: Member) -> str:
    return reverse("inbound", args=[member.workspace.slug])


@require_POST
@workspace_view
def inbound_correct(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    message = access.get_rw_inbound_for_user(member, pk)
    try:
        services.message_correct(actor=member, message=message, category=request.POST.get("category", ""))
    except services.RoutingError as error:
        messages.error(request, f"{error.field.capitalize()} {error.message}.")
    else:
        messages.success(request, f"Moved to {message.get_desk_display()} ({CATEGORIES[message.category][1]}).")
    back = request.POST.get("desk", "")
    return redirect(f"{_inbox(member)}?desk={back if back in dict(DESKS) else Desk.TRIAGE}")


@require_POST
@workspace_view
def inbound_answer(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    message = access.get_rw_inbound_for_user(member, pk)
    services.message_answer(actor=member, message=message)
    messages.success(request, "Marked answered.")
    back = request.POST.get("desk", "")
    return redirect(f"{_inbox(member)}?desk={back if back in dict(DESKS) else 'all'}")


@require_GET
@workspace_view
def inbound_unmatched(request: HttpRequest, member: Member) -> HttpResponse:
    rows = selectors.unmatched_inbound(member.workspace)[:INBOX_ROWS]
    return render(request, "web/inbound/unmatched.html", {"rows": rows, "inbox_rows": INBOX_ROWS})


@require_GET
@workspace_view
def inbound_feedback(request: HttpRequest, member: Member) -> HttpResponse:
    groups = selectors.product_feedback(member.workspace)
    context = {"groups": groups, "currency": member.workspace.currency}
    return render(request, "web/inbound/feedback.html", context)


@require_GET
@workspace_view
def inbound_measures(request: HttpRequest, member: Member) -> HttpResponse:
    workspace = member.workspace
    try:
        days = int(request.GET.get("days", "90"))
    except ValueError:
        days = 90
    days = days if days in PERIODS else 90
    today = workspace_today(workspace)
    period = Period(today - timedelta(days=days - 1), today, workspace.time_zone)
    measures = selectors.routing_measures(workspace, period)
    figures = measures["figures"]
    cards = [
        {"key": "volume", "label": "Questions", "display": figures["volume"].worked, "figure": figures["volume"]},
        *(
            {
                "key": key,
                "label": label,
                "display": _pct(figures[key].value),
                "figure": figures[key],
                "inputs": list(figures[key].inputs.items()),
            }
            for key, label in (
                ("misroute_rate", "Misroute rate"),
                ("csm_on_support", "CSM time on support questions"),
                ("triage_rate", "Triage rate"),
            )
        ),
        *(
            {
                "key": f"response_{desk}",
                "label": f"First response, {Desk(desk).label.lower()}",
                "display": "—" if figure.value is None else f"{figure.value:.1f} h",
                "figure": figure,
                "inputs": list(figure.inputs.items()),
            }
            for desk, figure in measures["response"].items()
        ),
    ]
    context = {"cards": cards, "measures": measures, "days": days, "periods": PERIODS, "period": period}
    return render(request, "web/inbound/measures.html", context)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


@require_http_methods(["GET", "POST"])
@workspace_view
def inbound_rules(request: HttpRequest, member: Member) -> HttpResponse:
    """The team's rules as YAML: anyone reads them, managers change them (checked with line:column)."""
    workspace = member.workspace
    setup = services.routing_setup_get(workspace=workspace)
    text = setup.rules_yaml
    problems: list[str] = []
    if request.method == "POST":
        access.require_manager(member)
        text = request.POST.get("rules", "")
        try:
            services.routing_rules_save(actor=member, workspace=workspace, text=text)
        except DefinitionError as error:
            problems = error.lines
        else:
            messages.success(request, "Rules saved; they apply to the next question.")
            return redirect("inbound-rules", workspace.slug)
    context = {
        "text": text,
        "problems": problems,
        "can_manage": member.can_manage,
        "setup": setup,
        "secrets": [
            (name, name.replace("_", " ").capitalize(), bool(getattr(setup, name))) for name in services.SECRETS
        ],
        # Like every link Retain gives out, it starts at RETAIN_SITE_URL, not the host of this request.
        "hook_base": f"{settings.SITE_URL}/hooks/inbound/{inbound_token(workspace.pk)}/" if member.is_admin else "",
    }
    return render(request, "web/inbound/rules.html", context, status=400 if problems else 200)


@require_POST
@workspace_view
def inbound_settings(request: HttpRequest, member: Member) -> HttpResponse:
    """Admins: where support questions are forwarded, and the providers' signing secrets."""
    access.require_admin(member)
    try:
        services.routing_settings_save(
            actor=member,
            workspace=member.workspace,
            support_webhook_url=request.POST.get("support_webhook_url", ""),
            support_email=request.POST.get("support_email", ""),
            secrets={name: request.POST.get(name, "") for name in services.SECRETS},
        )
    except services.RoutingError as error:
        messages.error(request, f"{error.field.replace('_', ' ').capitalize()} {error.message}.")
    else:
        messages.success(request, "Inbound settings saved.")
    return redirect("inbound-rules", member.workspace.slug)


@require_http_methods(["GET", "POST"])
@workspace_view
def inbound_slack(request: HttpRequest, member: Member) -> HttpResponse:
    """Slack channels shared with customers: which account each channel's messages belong to.

    Everyone reads; whoever may edit the account (its CSM, managers, admins) links or unlinks its
    channels. A POST with `remove=<link id>` unlinks, any other POST links `channel_id` to `account`."""
    workspace = member.workspace
    error = ""
    values = {"channel_id": "", "account": ""}
    if request.method == "POST":
        access.require_write(member)
        if "remove" in request.POST:
            link = access.get_for_member(member, selectors.channel_links(workspace), request.POST["remove"])
            if not access.can_edit_account(member, link.account):
                raise PermissionDenied("only who may edit the account unlinks its channels")
            services.channel_link_remove(actor=member, link=link)
            messages.success(request, f"Channel {link.channel_id} unlinked from {link.account.name}.")
            return redirect("inbound-slack", workspace.slug)
        values = {"channel_id": request.POST.get("channel_id", "").strip(), "account": request.POST.get("account", "")}
        account = None
        if parse_whole(values["account"]) is None:
            error = "account: choose the account the channel is shared with"
        else:
            account = access.get_account_for_user(member, values["account"])
            if not access.can_edit_account(member, account):
                raise PermissionDenied("only who may edit the account links its channels")
        if account is not None:
            try:
                link = services.channel_link_add(
                    actor=member, workspace=workspace, channel_id=values["channel_id"], account=account
                )
            except services.RoutingError as problem:
                error = str(problem)
            else:
                messages.success(request, f"Channel {link.channel_id} linked to {account.name}.")
                return redirect("inbound-slack", workspace.slug)
    links = list(selectors.channel_links(workspace))
    context = {
        "links": [(link, access.can_edit_account(member, link.account)) for link in links],
        "accounts": access.scoped(member, Account.objects.all()).order_by("name").only("pk", "name")
        if member.can_write
        else [],
        "can_write": member.can_write,
        "error": error,
        "values": values,
        "hook": f"{settings.SITE_URL}/hooks/inbound/{inbound_token(workspace.pk)}/slack/" if member.is_admin else "",
    }
    return render(request, "web/inbound/slack.html", context, status=400 if error else 200)
