"""REST API v1 for inbound questions: list them, and post one to be kept and routed.

Thin: writes go through retain.routing.services, which routes the question (rules, then the
model, else triage) as it keeps it. The same `source_message_id` twice answers 200 with the
message already kept instead of 201.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from retain import access
from retain.accounts.models import Account
from retain.api.serializers import InWorkspace
from retain.api.views import ERRORS, READ_ERRORS, WorkspaceViewSet
from retain.routing import selectors, services
from retain.routing.choices import Source
from retain.routing.models import InboundMessage


class InboundMessageSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    # Blank when the sender gave no address: a read-only EmailField would promise an address.
    sender_email = serializers.CharField(read_only=True, help_text="the sender's address, blank when none was given")

    class Meta:
        model = InboundMessage
        fields = [
            "id", "source", "source_message_id", "sender", "sender_email", "contact", "account", "subject", "text",
            "received_at", "desk", "category", "confidence", "decided_by", "rule", "reason", "urgent", "routed_at",
        ]  # fmt: skip
        read_only_fields = fields


class InboundCreateSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    text = serializers.CharField(max_length=20000)
    subject = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)
    sender = serializers.CharField(max_length=255, required=False, default="", allow_blank=True)
    source = serializers.ChoiceField(choices=Source.choices, required=False, default=Source.API)  # type: ignore[assignment]  # a field named like Field.source; DRF allows it
    source_message_id = serializers.CharField(max_length=255, required=False, default="", allow_blank=True)
    received_at = serializers.DateTimeField(required=False, default=None, allow_null=True)
    account = InWorkspace(Account, required=False, default=None, allow_null=True)


@extend_schema_view(
    list=extend_schema(responses={200: InboundMessageSerializer(many=True), **READ_ERRORS}),
    create=extend_schema(request=InboundCreateSerializer, responses={201: InboundMessageSerializer, **ERRORS}),
)
class InboundViewSet(mixins.ListModelMixin, WorkspaceViewSet):
    """Questions from customers, each with the desk it went to and which rule or model sent it there."""

    serializer_class = InboundMessageSerializer
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[InboundMessage]:
        if self.schema_only:
            return InboundMessage.objects.none()
        return selectors.workspace_inbound(self.member.workspace)

    def create(self, request: Request) -> Response:
        member = self.member
        access.require_write(member)
        fields: dict[str, Any] = self.valid(InboundCreateSerializer)
        try:
            message, created = services.inbound_receive(workspace=member.workspace, **fields)
        except services.RoutingError as error:
            raise ValidationError({error.field: [error.message]}) from None
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return self.respond(InboundMessageSerializer, message, code)
