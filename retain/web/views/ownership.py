"""Data ownership in the web UI, for admins: export the workspace, delete it, erase a contact.

Each destructive action asks for a typed confirmation (the workspace's slug, or the word "erase")
in the same POST, so a stray click or a prefetch cannot set it off.
"""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from retain import access
from retain.lib.dates import today_in
from retain.ownership import services
from retain.tenancy.models import Member
from retain.web.decorators import workspace_view

VIA = "web"
ERASE_WORD = "erase"


def _data_page(request: HttpRequest, member: Member, error: str = "", status: int = 200) -> HttpResponse:
    return render(request, "web/admin/data.html", {"delete_error": error}, status=status)


@require_http_methods(["GET"])
@workspace_view
def data(request: HttpRequest, member: Member) -> HttpResponse:
    access.require_admin(member)
    return _data_page(request, member)


@require_POST
@workspace_view
def data_export(request: HttpRequest, member: Member) -> HttpResponse:
    access.require_admin(member)
    workspace = member.workspace
    # Spooled to disk, not memory: a workspace with years of raw events makes a large archive.
    # FileResponse closes the file once it is sent.
    out = tempfile.TemporaryFile()  # noqa: SIM115
    try:
        services.workspace_export(actor=member, workspace=workspace, out=out)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    name = f"retain-{workspace.slug}-{today_in(workspace.time_zone).isoformat()}.zip"
    response = FileResponse(out, as_attachment=True, filename=name, content_type="application/zip")
    return response  # type: ignore[return-value]  # a streaming response; workspace_view passes it through


@require_POST
@workspace_view
def workspace_delete(request: HttpRequest, member: Member) -> HttpResponse:
    access.require_admin(member)
    workspace = member.workspace
    if request.POST.get("confirm", "").strip() != workspace.slug:
        return _data_page(request, member, f"Type {workspace.slug} to confirm.", status=400)
    name = workspace.name
    services.workspace_delete(actor=member, workspace=workspace)
    messages.success(request, f"Workspace {name} and all its data were deleted.")
    return redirect("home")


@require_http_methods(["GET", "POST"])
@workspace_view
def contact_erase(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    contact = access.get_contact_for_user(member, pk)
    access.require_admin(member)
    error = ""
    if request.method == "POST":
        if request.POST.get("confirm", "").strip().lower() != ERASE_WORD:
            error = f"Type {ERASE_WORD} to confirm."
        else:
            try:
                services.contact_erase(actor=member, contact=contact, via=VIA)
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                messages.success(request, "The contact's personal data was erased.")
                return redirect("account", member.workspace.slug, contact.account_id)
    context = {"contact": contact, "account": contact.account, "error": error, "word": ERASE_WORD}
    return render(request, "web/contact_erase.html", context, status=400 if error else 200)
