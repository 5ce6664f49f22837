"""Accounts: the list, the account page and the forms that change an account."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from retain.tenancy import access
from retain.tenancy.models import Member
from retain.web.decorators import workspace_view


def _todo(request: HttpRequest, member: Member) -> HttpResponse:
    return render(request, "web/home.html", {"memberships": []})


@workspace_view
def accounts_list(request: HttpRequest, member: Member) -> HttpResponse:
    return _todo(request, member)


@workspace_view
def accounts_export(request: HttpRequest, member: Member) -> HttpResponse:
    return _todo(request, member)


@workspace_view
def account_create(request: HttpRequest, member: Member) -> HttpResponse:
    access.require_write(member)
    return _todo(request, member)


@workspace_view
def account_detail(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    access.get_account_for_user(member, pk)
    return _todo(request, member)


@workspace_view
def account_edit(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    access.get_rw_account_for_user(member, pk)
    return _todo(request, member)


@workspace_view
def account_timeline(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    access.get_account_for_user(member, pk)
    return _todo(request, member)


@workspace_view
def touchpoint_log(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    access.get_rw_account_for_user(member, pk)
    return _todo(request, member)


@workspace_view
def contact_create(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    access.get_rw_account_for_user(member, pk)
    return _todo(request, member)


@workspace_view
def contact_edit(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    access.get_rw_contact_for_user(member, pk)
    return _todo(request, member)


@workspace_view
def subscription_create(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    access.get_rw_account_for_user(member, pk)
    return _todo(request, member)


@workspace_view
def subscription_change(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    access.get_rw_subscription_for_user(member, pk)
    return _todo(request, member)
