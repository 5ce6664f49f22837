"""Data ownership over the API, for admins' tokens: erase a contact, delete the workspace.

Both are POSTs to an action URL; deleting the workspace also asks for its slug in the body, the
same typed confirmation the web page asks for. Exports are large files and stay with the web page
and `retain export`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from retain import access
from retain.accounts.models import Contact
from retain.api.views import ERRORS, VIA, WorkspaceViewSet
from retain.ownership import services


class ErasureSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    contact = serializers.IntegerField(help_text="The erased contact's id; the row stays, without personal data.")
    erased = serializers.DictField(
        child=serializers.IntegerField(), help_text="Rows changed per kind of data: counts, never the data."
    )


class WorkspaceDeleteSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    confirm = serializers.CharField(help_text="The workspace's slug, typed again.")


class WorkspaceDeletedSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    workspace = serializers.CharField()
    deleted = serializers.DictField(child=serializers.IntegerField(), help_text="Rows deleted per table.")


class ContactErasureViewSet(WorkspaceViewSet):
    serializer_class = ErasureSerializer

    def get_queryset(self) -> QuerySet[Contact]:
        if self.schema_only:
            return Contact.objects.none()
        return access.scoped(self.member, Contact.objects.all())

    @extend_schema(request=None, responses={200: ErasureSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def erase(self, request: Request, pk: str) -> Response:
        """Erase the contact's personal data (right to erasure); aggregates they counted in stay. Admins only."""
        member = self.member
        contact = access.get_contact_for_user(member, pk)
        access.require_admin(member)
        erasure = services.contact_erase(actor=member, contact=contact, via=VIA)
        return self.respond(ErasureSerializer, {"contact": erasure.contact_id, "erased": erasure.rows})


class WorkspaceDataViewSet(WorkspaceViewSet):
    serializer_class = WorkspaceDeleteSerializer

    @extend_schema(request=WorkspaceDeleteSerializer, responses={200: WorkspaceDeletedSerializer, **ERRORS})
    @action(detail=False, methods=["post"], url_path="delete")
    def delete_workspace(self, request: Request) -> Response:
        """Delete the token's workspace and every row it owns (this token included). Admins only."""
        member = self.member
        access.require_admin(member)
        fields: dict[str, Any] = self.valid(WorkspaceDeleteSerializer)
        workspace = member.workspace
        if fields["confirm"].strip() != workspace.slug:
            raise serializers.ValidationError({"confirm": [f"must be the workspace's slug, {workspace.slug}"]})
        deleted = services.workspace_delete(actor=member, workspace=workspace)
        return Response(WorkspaceDeletedSerializer({"workspace": workspace.slug, "deleted": deleted}).data)
