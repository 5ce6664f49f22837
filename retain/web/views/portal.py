"""The customer portal seen from the app: the tiers it is on for, the resources it offers per stage
and edition, who is invited (and inviting more), and the latest portal activity.

Who may do what: every member reads the page; managers and admins turn the portal on or off and
edit resources (they show to every account); whoever may edit an account invites its contacts and
revokes their access (the CSM of the book, managers, admins).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from retain import access
from retain.accounts.models import Contact
from retain.portal import selectors as portal_selectors
from retain.portal import services as portal_services
from retain.portal.models import PortalAccess, Resource
from retain.tenancy.models import Member
from retain.web.decorators import workspace_view
from retain.web.forms import add_service_errors
from retain.web.forms_portal import PortalInviteForm, PortalTiersForm, ResourceForm


def _page(request: HttpRequest, member: Member, status: int = 200, **forms: Any) -> HttpResponse:
    workspace = member.workspace
    context = {
        "section": "settings",
        "tiers": portal_selectors.portal_tiers(workspace),
        "tiers_form": forms.get("tiers_form")
        or PortalTiersForm(initial={"tiers": portal_selectors.portal_tiers(workspace)}),
        "resource_form": forms.get("resource_form") or ResourceForm(),
        "invite_form": forms.get("invite_form") or PortalInviteForm(),
        "resources": portal_selectors.resources(workspace),
        "accesses": portal_selectors.accesses(workspace).order_by("account__name", "contact__email"),
        "activity": portal_selectors.recent_activity(workspace),
        "can_manage": member.can_manage,
        "can_write": member.can_write,
    }
    return render(request, "web/portal/settings.html", context, status=status)


def _require_manager(member: Member) -> None:
    if not member.can_manage:
        raise PermissionDenied("Managers and admins change the portal for every account")


@require_http_methods(["GET", "POST"])
@workspace_view
def portal_settings(request: HttpRequest, member: Member) -> HttpResponse:
    if request.method == "GET":
        return _page(request, member)
    _require_manager(member)
    form = PortalTiersForm(request.POST)
    if not form.is_valid():
        return _page(request, member, status=400, tiers_form=form)
    portal_services.settings_update(workspace=member.workspace, actor=member, tiers=form.cleaned_data["tiers"])
    messages.success(request, "Portal tiers saved.")
    return redirect("portal-settings", member.workspace.slug)


def _save_resource(form: ResourceForm, member: Member, resource: Resource | None) -> bool:
    if not form.is_valid():
        return False
    try:
        portal_services.resource_save(workspace=member.workspace, actor=member, resource=resource, **form.cleaned_data)
    except ValidationError as error:
        add_service_errors(form, error)
        return False
    return True


@require_POST
@workspace_view
def resource_add(request: HttpRequest, member: Member) -> HttpResponse:
    _require_manager(member)
    form = ResourceForm(request.POST)
    if not _save_resource(form, member, None):
        return _page(request, member, status=400, resource_form=form)
    messages.success(request, f"Resource “{form.cleaned_data['title']}” added.")
    return redirect("portal-settings", member.workspace.slug)


@require_http_methods(["GET", "POST"])
@workspace_view
def resource_edit(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    resource = get_object_or_404(Resource, pk=pk, workspace=member.workspace)
    if request.method == "POST":
        _require_manager(member)
        if request.POST.get("remove") == "1":
            portal_services.resource_remove(resource=resource, actor=member)
            messages.success(request, f"Resource “{resource.title}” removed.")
            return redirect("portal-settings", member.workspace.slug)
        form = ResourceForm(request.POST)
        if _save_resource(form, member, resource):
            messages.success(request, f"Resource “{form.cleaned_data['title']}” saved.")
            return redirect("portal-settings", member.workspace.slug)
        status = 400
    else:
        fields = ("title", "url", "kind", "stages", "editions", "refreshed_on")
        form = ResourceForm(initial={name: getattr(resource, name) for name in fields})
        status = 200
    context = {"section": "settings", "resource": resource, "form": form, "can_manage": member.can_manage}
    return render(request, "web/portal/resource.html", context, status=status)


@require_POST
@workspace_view
def portal_invite(request: HttpRequest, member: Member) -> HttpResponse:
    """Invite a contact by address: they get a sign-in link by e-mail."""
    if not member.can_write:
        raise PermissionDenied("Viewers do not invite contacts")
    form = PortalInviteForm(request.POST)
    if not form.is_valid():
        return _page(request, member, status=400, invite_form=form)
    found = Contact.objects.filter(workspace=member.workspace, email__iexact=form.cleaned_data["email"]).first()
    if found is None:
        form.add_error("email", "No contact of this workspace has this address.")
        return _page(request, member, status=400, invite_form=form)
    contact = access.get_rw_contact_for_user(member, found.pk)
    try:
        portal_services.contact_invite(contact=contact, actor=member)
    except ValidationError as error:
        add_service_errors(form, error)
        return _page(request, member, status=400, invite_form=form)
    messages.success(request, f"{contact} is invited: a sign-in link is on its way to {contact.email}.")
    return redirect("portal-settings", member.workspace.slug)


@require_POST
@workspace_view
def portal_access_revoke(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    row = get_object_or_404(PortalAccess.objects.select_related("contact"), pk=pk, workspace=member.workspace)
    contact = access.get_rw_contact_for_user(member, row.contact_id)
    portal_services.access_revoke(access=row, actor=member)
    messages.success(request, f"{contact} can no longer sign in to the portal.")
    return redirect("portal-settings", member.workspace.slug)
