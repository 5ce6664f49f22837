"""Workspace administration: settings, exchange rates, members, API tokens and write keys.

Who may do what:
- settings and exchange rates: every member reads them, admins change them;
- members: every member sees the list; admins add or invite people (invitations are re-sent or
  revoked from the list) and edit everything about a member; managers edit a member's CSM kind and
  capacity (planning books is their job) but not roles (tenancy.services.member_update decides);
- API tokens: each member creates, lists and revokes only their own (a token acts as its member);
- write keys: admins and managers create, list and revoke them and see their rejections.

Raw keys are rendered once, in the response to the POST that created them; only hashes are stored.
"""

from __future__ import annotations

import json
import smtplib
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from retain import access
from retain.tenancy import selectors as tenancy_selectors
from retain.tenancy import services as tenancy_services
from retain.tenancy.choices import Role
from retain.tenancy.models import ExchangeRate, Member, WriteKey
from retain.usage.selectors import latest_rejections
from retain.web.decorators import workspace_view
from retain.web.forms import add_service_errors
from retain.web.forms_admin import (
    ApiTokenForm,
    ExchangeRateForm,
    InvitationForm,
    MemberAddForm,
    MemberEditForm,
    WorkspaceSettingsForm,
    WriteKeyForm,
)

# Settings and exchange rates ------------------------------------------------------------------


def _example_csm(member: Member) -> str:
    """A CSM's name to show what the From header looks like: the reader's own when they are one."""
    if member.role == Role.CSM:
        return member.display_name
    csm = member.workspace.members.filter(role=Role.CSM, is_active=True).select_related("user").first()
    return csm.display_name if csm is not None else ""


def _settings_page(
    request: HttpRequest,
    member: Member,
    form: WorkspaceSettingsForm | None = None,
    rate_form: ExchangeRateForm | None = None,
    status: int = 200,
) -> HttpResponse:
    workspace = member.workspace
    example_csm = _example_csm(member)
    context = {
        "form": form or WorkspaceSettingsForm.for_workspace(workspace),
        "rate_form": rate_form or ExchangeRateForm(),
        "rates": ExchangeRate.objects.filter(workspace=workspace).order_by("currency", "-valid_from"),
        "time_zones": WorkspaceSettingsForm.time_zones(),
        "can_edit": member.is_admin,
        "sender_example_csm": example_csm,
        "sender_example": '"{}" <{}>'.format(*workspace.sender_parts(example_csm)),
    }
    return render(request, "web/admin/settings.html", context, status=status)


@require_http_methods(["GET", "POST"])
@workspace_view
def workspace_settings(request: HttpRequest, member: Member) -> HttpResponse:
    if request.method != "POST":
        return _settings_page(request, member)
    access.require_admin(member)
    form = WorkspaceSettingsForm.for_workspace(member.workspace, data=request.POST)
    if form.is_valid():
        try:
            tenancy_services.workspace_update(workspace=member.workspace, actor=member, **form.cleaned_data)
        except ValidationError as exc:
            member.workspace.refresh_from_db()
            add_service_errors(form, exc)
        else:
            messages.success(request, "Settings saved.")
            return redirect("settings", member.workspace.slug)
    return _settings_page(request, member, form=form, status=400)


@require_POST
@workspace_view
def rate_add(request: HttpRequest, member: Member) -> HttpResponse:
    access.require_admin(member)
    form = ExchangeRateForm(request.POST)
    if form.is_valid():
        try:
            tenancy_services.exchange_rate_set(workspace=member.workspace, actor=member, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Exchange rate saved.")
            return redirect("settings", member.workspace.slug)
    return _settings_page(request, member, rate_form=form, status=400)


# Members ---------------------------------------------------------------------------------------


def _members_page(
    request: HttpRequest,
    member: Member,
    form: MemberAddForm | None = None,
    invite_form: InvitationForm | None = None,
    status: int = 200,
) -> HttpResponse:
    people = access.scoped(member, Member.objects.select_related("user", "manager__user")).order_by(
        "-is_active", "user__email"
    )
    context = {
        "people": people,
        "form": form or MemberAddForm(),
        "invite_form": invite_form or InvitationForm(),
        "invitations": tenancy_selectors.open_invitations(member.workspace) if member.is_admin else [],
        "invitation_days": tenancy_services.INVITATION_DAYS,
        "can_add": member.is_admin,
        "can_edit": member.can_manage,
    }
    return render(request, "web/admin/members.html", context, status=status)


@require_http_methods(["GET", "POST"])
@workspace_view
def members(request: HttpRequest, member: Member) -> HttpResponse:
    if request.method != "POST":
        return _members_page(request, member)
    access.require_admin(member)
    form = MemberAddForm(request.POST)
    if form.is_valid():
        try:
            added = tenancy_services.member_add(workspace=member.workspace, actor=member, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{added.display_name} added as {added.get_role_display()}.")
            return redirect("members", member.workspace.slug)
    return _members_page(request, member, form=form, status=400)


@require_http_methods(["GET", "POST"])
@workspace_view
def member_edit(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    subject = access.get_member_for_user(member, pk)
    access.require_manager(member)
    form = MemberEditForm(request.POST or None, subject=subject, editor=member)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                tenancy_services.member_update(actor=member, member=subject, **form.changes())
            except ValidationError as exc:
                subject.refresh_from_db()
                add_service_errors(form, exc)
            else:
                messages.success(request, f"{subject.display_name} updated.")
                return redirect("members", member.workspace.slug)
        status = 400
    return render(request, "web/admin/member_edit.html", {"form": form, "subject": subject}, status=status)


# Invitations -----------------------------------------------------------------------------------


@require_POST
@workspace_view
def invitation_create(request: HttpRequest, member: Member) -> HttpResponse:
    access.require_admin(member)
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation = tenancy_services.invitation_create(
                workspace=member.workspace, actor=member, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except (smtplib.SMTPException, OSError) as exc:
            # The invitation is saved (the e-mail goes after commit): it is listed, ready to re-send.
            messages.error(request, f"Invitation saved, but the e-mail could not be sent ({exc}): re-send it.")
            return redirect("members", member.workspace.slug)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("members", member.workspace.slug)
    return _members_page(request, member, invite_form=form, status=400)


@require_POST
@workspace_view
def invitation_resend(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    invitation = access.get_rw_invitation_for_user(member, pk)
    try:
        tenancy_services.invitation_resend(invitation=invitation, actor=member)
    except ValidationError as exc:
        messages.error(request, f"{invitation.email}: {' '.join(exc.messages)}")
    except (smtplib.SMTPException, OSError) as exc:
        messages.error(request, f"The e-mail to {invitation.email} could not be sent ({exc}): try again later.")
    else:
        messages.success(request, f"Invitation sent again to {invitation.email}; the earlier link no longer works.")
    return redirect("members", member.workspace.slug)


@require_POST
@workspace_view
def invitation_revoke(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    invitation = access.get_rw_invitation_for_user(member, pk)
    try:
        tenancy_services.invitation_revoke(invitation=invitation, actor=member)
    except ValidationError as exc:
        messages.error(request, f"{invitation.email}: {' '.join(exc.messages)}")
    else:
        messages.success(request, f"Invitation for {invitation.email} revoked.")
    return redirect("members", member.workspace.slug)


# API tokens ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@workspace_view
def api_tokens(request: HttpRequest, member: Member) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            token, raw = tenancy_services.api_token_create(member=member, name=form.cleaned_data["name"], actor=member)
            context.update(new_token=token, raw_key=raw, form=ApiTokenForm())
            status = 201
        else:
            status = 400
    context["tokens"] = member.api_tokens.order_by("revoked_at", "-created_at")
    return render(request, "web/admin/api_tokens.html", context, status=status)


@require_POST
@workspace_view
def api_token_revoke(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    # Only one's own tokens: anybody else's is not found, whatever the role.
    token = member.api_tokens.filter(pk=pk).first()
    if token is None:
        raise Http404("No such API token")
    tenancy_services.api_token_revoke(token=token, actor=member)
    messages.success(request, f"API token {token.name} revoked.")
    return redirect("api-tokens", member.workspace.slug)


# Write keys ------------------------------------------------------------------------------------


def _get_write_key(member: Member, pk: int) -> WriteKey:
    key = access.get_for_member(member, WriteKey.objects.all(), pk)
    access.require_manager(member)
    return key


def _curl_example(raw: str) -> str:
    body = json.dumps({"userId": "user-1", "event": "Signed In", "context": {"groupId": "ACCOUNT-EXTERNAL-ID"}})
    # The address the product's servers send to, not the host this admin's browser used.
    url = f"{settings.SITE_URL}/v1/track"
    # Segment's convention: the write key is the Basic-auth user name with an empty password.
    return f"curl {url} \\\n  -u '{raw}:' \\\n  -H 'Content-Type: application/json' \\\n  -d '{body}'"


@require_http_methods(["GET", "POST"])
@workspace_view
def write_keys(request: HttpRequest, member: Member) -> HttpResponse:
    access.require_manager(member)
    form = WriteKeyForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            key, raw = tenancy_services.write_key_create(
                workspace=member.workspace, name=form.cleaned_data["name"], actor=member
            )
            context.update(new_key=key, raw_key=raw, curl=_curl_example(raw), form=WriteKeyForm())
            status = 201
        else:
            status = 400
    # Each rejection row counts one refused event or, past the first few of a request, many.
    rejected = Sum("rejections__count", default=0)
    context["keys"] = access.scoped(member, WriteKey.objects.annotate(rejected=rejected)).order_by(
        "revoked_at", "-created_at"
    )
    return render(request, "web/admin/write_keys.html", context, status=status)


@require_POST
@workspace_view
def write_key_revoke(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    key = _get_write_key(member, pk)
    tenancy_services.write_key_revoke(key=key, actor=member)
    messages.success(request, f"Write key {key.name} revoked: events sent with it are now refused.")
    return redirect("write-keys", member.workspace.slug)


@workspace_view
def write_key_detail(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    key = _get_write_key(member, pk)
    by_reason = key.rejections.values("reason").annotate(count=Sum("count")).order_by("-count", "reason")
    context = {"key": key, "rejections": latest_rejections(key), "by_reason": by_reason}
    return render(request, "web/admin/write_key.html", context)
