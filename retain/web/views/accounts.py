"""Accounts: the list, the account page and the forms that change an account.

Thin: access through retain.access, input through web.forms, writes through accounts.services,
reads through accounts.selectors. Every view runs in the workspace's time zone, so the dates and
times people type and read are the workspace's calendar.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any, TypeVar, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from retain import access
from retain.accounts import selectors, services
from retain.accounts.models import Account, Subscription
from retain.journeys.selectors import account_journey
from retain.lib.dates import local_day
from retain.plans.selectors import plan_summary
from retain.renewals.choices import ExpansionStatus
from retain.surveys.measures import account_voice
from retain.tenancy.models import Member
from retain.usage.selectors import account_usage_panel
from retain.web.decorators import workspace_view
from retain.web.downloads import csv_stream
from retain.web.forms import (
    MULTI_CRITERIA,
    SINGLE_CRITERIA,
    AccountFilterForm,
    AccountForm,
    ContactForm,
    SubscriptionChangeForm,
    SubscriptionForm,
    TouchpointForm,
    add_service_errors,
)
from retain.web.http import HtmxHttpRequest
from retain.web.views.account_health import account_health_card

TIMELINE_PAGE = 25
VIA = "web"


V = TypeVar("V", bound=Callable[..., HttpResponseBase])


def in_workspace_time(view: V) -> V:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, member: Member, **kwargs: Any) -> HttpResponseBase:
        with timezone.override(member.workspace.time_zone):
            return view(request, member, **kwargs)

    return cast(V, wrapper)


def _account_url(account: Account) -> str:
    return reverse("account", args=[account.workspace.slug, account.pk])


# The list ----------------------------------------------------------------------------------------


@require_GET
@workspace_view
@in_workspace_time
def accounts_list(request: HtmxHttpRequest, member: Member) -> HttpResponse:
    workspace = member.workspace
    today = selectors.workspace_today(workspace)
    form = AccountFilterForm(request.GET, workspace=workspace, action=reverse("accounts", args=[workspace.slug]))
    criteria = form.criteria
    # A segment opened from the segments page arrives as its list criteria plus ?segment=<id>; the
    # criteria with no list field (traits, set through the API) are read from the segment itself.
    segment = access.get_segment_for_user(member, request.GET["segment"]) if request.GET.get("segment") else None
    if segment is not None and segment.criteria.get("traits"):
        criteria["traits"] = segment.criteria["traits"]
    accounts = selectors.accounts_matching(workspace, criteria, sort=form.sort_key, today=today)
    if not form.is_valid():
        # Showing every account under filters that were refused would look like an answer.
        accounts = accounts.none()
    page = Paginator(accounts, form.page_size).get_page(request.GET.get("page"))
    htmx_swap = bool(request.htmx) and request.htmx.target == "results"
    context = {
        "form": form,
        "criteria_fields": [form[name] for name in (*MULTI_CRITERIA, *SINGLE_CRITERIA)],
        "oob": htmx_swap,
        "segment": segment,
        "page": page,
        "today": today,
        "workspace": workspace,
        "can_create": member.can_write,
        "can_save_segment": member.can_write,
        "query": request.GET.urlencode(),
    }
    # A filter change swaps only the results; a full load (or no JS) gets the whole page.
    if htmx_swap:
        return render(request, "web/partials/accounts_results.html", context)
    return render(request, "web/accounts.html", context)


EXPORT_HEADER = [
    "name", "domain", "crm_id", "tier", "edition", "stage", "owner", "arr", "currency",
    "next_renewal_on", "days_to_renewal", "last_touchpoint_on", "days_since_last_touchpoint",
    "stage_entered_on", "days_in_stage",
]  # fmt: skip


@require_GET
@workspace_view  # type: ignore[arg-type]  # a streamed CSV is a response too
@in_workspace_time
def accounts_export(request: HttpRequest, member: Member) -> HttpResponseBase:
    workspace = member.workspace
    today = selectors.workspace_today(workspace)
    form = AccountFilterForm(request.GET, workspace=workspace)
    if request.GET and not form.is_valid():
        problems = "; ".join(f"{field}: {' '.join(map(str, errors))}" for field, errors in form.errors.items())
        return HttpResponseBadRequest(problems, content_type="text/plain; charset=utf-8")
    accounts = selectors.accounts_matching(workspace, form.criteria, sort=form.sort_key, today=today)

    def rows() -> Iterator[list[Any]]:
        yield EXPORT_HEADER
        for account in accounts.iterator(chunk_size=500):
            renewal = account.next_renewal_on  # type: ignore[attr-defined]  # annotated onto the queryset's rows
            touched = account.last_touchpoint_at  # type: ignore[attr-defined]  # annotated onto the queryset's rows
            touched_on = local_day(touched, workspace.time_zone) if touched else None
            yield [
                account.name,
                account.domain,
                account.external_id,
                account.tier,
                account.edition,
                account.stage,
                account.owner.display_name if account.owner else "",
                account.arr,
                workspace.currency,
                renewal.isoformat() if renewal else "",
                (renewal - today).days if renewal else "",
                touched_on.isoformat() if touched_on else "",
                (today - touched_on).days if touched_on else "",
                account.stage_entered_on.isoformat() if account.stage_entered_on else "",
                max((today - account.stage_entered_on).days, 0) if account.stage_entered_on else "",
            ]

    return csv_stream(rows(), f"{workspace.slug}-accounts-{today.isoformat()}.csv")


# Creating and editing an account -----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@workspace_view
@in_workspace_time
def account_create(request: HttpRequest, member: Member) -> HttpResponse:
    # Managers create anywhere; a CSM creates into its own book (the form fixes the owner).
    access.require_write(member)
    form = AccountForm(request.POST or None, member=member)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.account_create(
                workspace=member.workspace, actor=member, via=VIA, **form.service_fields()
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{account.name} created.")
            return redirect(_account_url(account))
    return render(request, "web/account_form.html", {"form": form, "account": None})


@require_http_methods(["GET", "POST"])
@workspace_view
@in_workspace_time
def account_edit(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    account = access.get_rw_account_for_user(member, pk)
    form = AccountForm(request.POST or None, member=member, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            changes = services.account_update(
                account=account,
                actor=member,
                via=VIA,
                reason=form.cleaned_data.get("reason", "").strip(),
                **form.service_fields(),
            )
        except ValidationError as error:
            account.refresh_from_db()
            add_service_errors(form, error)
        else:
            messages.success(request, "Account updated." if changes else "Nothing changed.")
            return redirect(_account_url(account))
    return render(request, "web/account_form.html", {"form": form, "account": account})


# The account page --------------------------------------------------------------------------------


def _timeline_page(account: Account, number: Any) -> Any:
    entries = account.timeline.select_related("actor__user").order_by("-occurred_at", "-id")
    return Paginator(entries, TIMELINE_PAGE).get_page(number)


@require_GET
@workspace_view
@in_workspace_time
def account_detail(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    account = access.get_account_for_user(member, pk)
    workspace = member.workspace
    today = selectors.workspace_today(workspace)
    subscriptions = selectors.account_subscriptions(account).prefetch_related("movements")
    can_edit = access.can_edit_account(member, account)
    journey, journey_milestones = account_journey(account)
    context = {
        "account": account,
        "workspace": workspace,
        "today": today,
        "can_edit": can_edit,
        "next_renewal_on": selectors.next_renewal_on(account),
        "days_since_touch": selectors.days_since_last_touchpoint(account, today),
        "contacts": account.contacts.order_by("status", "last_name", "first_name"),
        "subscriptions": subscriptions,
        "timeline": _timeline_page(account, 1),
        "usage": account_usage_panel(account, today=today),
        "voice": account_voice(account, today=today),
        "health": account_health_card(account, today=today, can_edit=can_edit),
        "plan_summary": plan_summary(account),
        "journey": journey,
        "journey_milestones": journey_milestones,
        "expansion": list(
            account.expansion_opportunities.filter(status=ExpansionStatus.OPEN).select_related("owner__user")
        ),
        "touchpoint_form": TouchpointForm(member=member, account=account, now=timezone.localtime())
        if can_edit
        else None,
    }
    return render(request, "web/account.html", context)


@require_GET
@workspace_view
@in_workspace_time
def account_timeline(request: HtmxHttpRequest, member: Member, pk: int) -> HttpResponse:
    account = access.get_account_for_user(member, pk)
    context = {"account": account, "timeline": _timeline_page(account, request.GET.get("page"))}
    if request.htmx:
        return render(request, "web/partials/account_timeline.html", context)
    return render(request, "web/account_timeline.html", context)


@require_http_methods(["GET", "POST"])
@workspace_view
@in_workspace_time
def touchpoint_log(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    account = access.get_rw_account_for_user(member, pk)
    form = TouchpointForm(request.POST or None, member=member, account=account, now=timezone.localtime())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.touchpoint_log(
                account=account,
                actor=member,
                via=VIA,
                kind=data["kind"],
                occurred_at=data["occurred_at"],
                member=data["member"],
                contacts=list(data["contacts"]),
                summary=data["summary"],
                next_step=data["next_step"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Touchpoint logged.")
            return redirect(_account_url(account) + "#timeline")
    return render(request, "web/touchpoint_form.html", {"form": form, "account": account})


# Contacts ----------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@workspace_view
@in_workspace_time
def contact_create(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    account = access.get_rw_account_for_user(member, pk)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_create(account=account, actor=member, via=VIA, **form.service_fields())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{contact} added.")
            return redirect(_account_url(account) + "#contacts")
    return render(request, "web/contact_form.html", {"form": form, "account": account, "contact": None})


@require_http_methods(["GET", "POST"])
@workspace_view
@in_workspace_time
def contact_edit(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    contact = access.get_rw_contact_for_user(member, pk)
    account = contact.account
    form = ContactForm(request.POST or None, contact=contact)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(contact=contact, actor=member, via=VIA, **form.service_fields())
        except ValidationError as error:
            contact.refresh_from_db()
            add_service_errors(form, error)
        else:
            messages.success(request, f"{contact} updated.")
            return redirect(_account_url(account) + "#contacts")
    return render(request, "web/contact_form.html", {"form": form, "account": account, "contact": contact})


# Subscriptions -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@workspace_view
@in_workspace_time
def subscription_create(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    account = access.get_rw_account_for_user(member, pk)
    today = selectors.workspace_today(member.workspace)
    form = SubscriptionForm(
        request.POST or None, initial={"currency": member.workspace.currency, "started_on": today, "seats": 1}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.subscription_create(account=account, actor=member, via=VIA, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Subscription added.")
            return redirect(_account_url(account) + "#subscriptions")
    return render(request, "web/subscription_form.html", {"form": form, "account": account})


@require_http_methods(["GET", "POST"])
@workspace_view
@in_workspace_time
def subscription_change(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    subscription: Subscription = access.get_rw_subscription_for_user(member, pk)
    account = subscription.account
    today = selectors.workspace_today(member.workspace)
    form = SubscriptionChangeForm(request.POST or None, subscription=subscription, today=today)
    if request.method == "POST" and form.is_valid():
        try:
            movement = services.subscription_change(
                subscription=subscription, actor=member, via=VIA, **form.cleaned_data
            )
        except ValidationError as error:
            subscription.refresh_from_db()
            add_service_errors(form, error)
        else:
            done = f"{movement.get_kind_display()} recorded." if movement else "Subscription updated."
            messages.success(request, done)
            return redirect(_account_url(account) + "#subscriptions")
    context = {"form": form, "account": account, "subscription": subscription}
    return render(request, "web/subscription_change.html", context)
