"""Unmatched groups: the groupIds product-usage group calls named but no account has, held for an
admin when the workspace holds unknown groups (workspace settings). Admins only: linking moves
events and users between accounts, and creating one adds an account to the book.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from retain import access
from retain.tenancy.models import Member
from retain.usage import selectors as usage_selectors
from retain.usage import services as usage_services
from retain.usage.models import UnmatchedGroup
from retain.web.decorators import workspace_view
from retain.web.forms_admin import UnmatchedGroupLinkForm


def _page(
    request: HttpRequest,
    member: Member,
    status: int = 200,
    form: UnmatchedGroupLinkForm | None = None,
    errors: list[str] | None = None,
) -> HttpResponse:
    workspace = member.workspace
    context = {
        "groups": usage_selectors.unmatched_groups(workspace),
        "created": usage_selectors.unknown_group_accounts(workspace)[:50],
        "form": form or UnmatchedGroupLinkForm(workspace=workspace),
        "errors": errors or [],
    }
    return render(request, "web/admin/unmatched_groups.html", context, status=status)


@require_GET
@workspace_view
def unmatched_groups(request: HttpRequest, member: Member) -> HttpResponse:
    access.require_admin(member)
    return _page(request, member)


def _link(request: HttpRequest, member: Member, group: UnmatchedGroup) -> HttpResponse:
    form = UnmatchedGroupLinkForm(request.POST, workspace=member.workspace)
    if not form.is_valid():
        return _page(request, member, status=400, form=form)
    account = form.cleaned_data["account"]
    moved = usage_services.unmatched_group_link(group=group, account=account, actor=member)
    messages.success(request, f"{group.group_id} now stands for {account.name}; {moved} waiting events moved to it.")
    return redirect("unmatched-groups", member.workspace.slug)


def _create(request: HttpRequest, member: Member, group: UnmatchedGroup) -> HttpResponse:
    account = usage_services.unmatched_group_create_account(group=group, actor=member)
    messages.success(request, f"Account {account.name} created for {group.group_id}.")
    return redirect("unmatched-groups", member.workspace.slug)


ACTIONS: dict[str, Callable[[HttpRequest, Member, UnmatchedGroup], HttpResponse]] = {
    "link": _link,
    "create": _create,
}


@require_POST
@workspace_view
def unmatched_group_resolve(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    """Link a held groupId to an existing account (action=link, account=id) or create its account
    (action=create)."""
    access.require_admin(member)
    group = access.get_for_member(member, UnmatchedGroup.objects.select_related("workspace"), pk)
    handler = ACTIONS.get(request.POST.get("action", ""))
    if handler is None:
        return _page(request, member, status=400, errors=["action: must be link or create"])
    try:
        return handler(request, member, group)
    except ValidationError as exc:
        errors = [f"{field}: {' '.join(texts)}" for field, texts in exc.message_dict.items()]
        return _page(request, member, status=400, errors=errors)
