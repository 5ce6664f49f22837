"""REST API v1 for messaging: the outbound log (retry a failed message), the suppression list, the
provider-agnostic bounce/complaint webhook and the inbound event webhook playbooks trigger on.

Thin: objects come through retain.access, writes go through retain.messaging.services.
Integrations call the two webhooks with a member's API token; viewers' tokens may not write.
"""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from retain import access
from retain.accounts.models import Account
from retain.api.filters import IdFilter
from retain.api.views import ERRORS, READ_ERRORS, VIA, WorkspaceViewSet
from retain.lib.columns import parse_whole
from retain.messaging import services
from retain.messaging.choices import EmailEventType, SuppressionReason
from retain.messaging.models import OutboundMessage, Suppression
from retain.messaging.selectors import body_for_members

MAX_EVENTS = 1000  # bounce/complaint events in one request


class OutboundMessageSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    # What a member may read: a portal sign-in e-mail waiting in the outbox without its one-time link.
    body = serializers.SerializerMethodField()

    class Meta:
        model = OutboundMessage
        fields = [
            "id", "account", "contact", "channel", "to", "subject", "body", "payload", "idempotency_key",
            "message_id", "status", "status_reason", "attempts", "next_attempt_at", "last_error", "sent_at",
            "source", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_body(self, message: OutboundMessage) -> str:
        return body_for_members(message)


class OutboundMessageFilter(django_filters.FilterSet):
    account = IdFilter(field_name="account_id")

    class Meta:
        model = OutboundMessage
        fields = ["status", "channel", "account"]


@extend_schema_view(
    list=extend_schema(responses={200: OutboundMessageSerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(responses={200: OutboundMessageSerializer, **READ_ERRORS}),
)
class OutboundMessageViewSet(mixins.ListModelMixin, WorkspaceViewSet):
    """E-mails, Slack posts and webhook calls: queued, sent, retrying, failed or suppressed (and why)."""

    serializer_class = OutboundMessageSerializer
    filterset_class = OutboundMessageFilter

    def get_queryset(self) -> QuerySet[OutboundMessage]:
        if self.schema_only:
            return OutboundMessage.objects.none()
        return OutboundMessage.objects.filter(workspace=self.member.workspace).order_by("-created_at", "-id")

    def retrieve(self, request: Request, pk: str) -> Response:
        return self.respond(OutboundMessageSerializer, access.get_message_for_user(self.member, pk))

    @extend_schema(request=None, responses={200: OutboundMessageSerializer, **ERRORS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def retry(self, request: Request, pk: str) -> Response:
        """Send a failed message again, from its first attempt, with the same idempotency key."""
        message = access.get_rw_message_for_user(self.member, pk)
        return self.respond(OutboundMessageSerializer, services.message_retry(message=message, actor=self.member))


class SuppressionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    reason = serializers.ChoiceField(choices=SuppressionReason.choices, default=SuppressionReason.MANUAL)

    class Meta:
        model = Suppression
        fields = ["id", "email", "reason", "note", "created_at"]
        read_only_fields = ["id", "created_at"]


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("search", OpenApiTypes.STR, description="part of the address")],
        responses={200: SuppressionSerializer(many=True), **READ_ERRORS},
    ),
    create=extend_schema(request=SuppressionSerializer, responses={201: SuppressionSerializer, **ERRORS}),
    destroy=extend_schema(responses={204: None, **ERRORS}),
)
class SuppressionViewSet(mixins.ListModelMixin, WorkspaceViewSet):
    """Addresses this workspace never e-mails: unsubscribed, bounced, complained, or added by hand."""

    serializer_class = SuppressionSerializer
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Suppression]:
        if self.schema_only:
            return Suppression.objects.none()
        rows = Suppression.objects.filter(workspace=self.member.workspace).order_by("-created_at", "-id")
        search = self.request.query_params.get("search", "").strip().lower()
        return rows.filter(email__icontains=search) if search else rows

    def create(self, request: Request) -> Response:
        member = self.member
        access.require_write(member)
        fields = self.valid(SuppressionSerializer)
        suppression = services.suppression_add(workspace=member.workspace, actor=member, **fields)
        return self.respond(SuppressionSerializer, suppression, status.HTTP_201_CREATED)

    def destroy(self, request: Request, pk: str) -> Response:
        member = self.member
        services.suppression_remove(suppression=access.get_rw_suppression_for_user(member, pk), actor=member)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmailEventSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    email = serializers.EmailField()
    type = serializers.ChoiceField(choices=EmailEventType.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")
    message_id = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")
    occurred_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class EmailEventsResultSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    events = serializers.IntegerField(help_text="events recorded")
    contacts_marked = serializers.IntegerField(help_text="contacts newly marked bounced or complained")


@extend_schema_view(
    create=extend_schema(
        request=EmailEventSerializer(many=True), responses={200: EmailEventsResultSerializer, **ERRORS}
    ),
)
class EmailEventViewSet(WorkspaceViewSet):
    """Bounces and complaints from any mail provider, as a JSON list (relay them from its own webhook).

    Each marks every contact with the address, suppresses the address, and writes "e-mail bounced"
    on the contact's account timeline. A bad item is named by its index: `3.email`.
    """

    serializer_class = EmailEventSerializer
    pagination_class = None  # type: ignore[assignment]  # the stubs type it as a class; None turns paging off here

    def create(self, request: Request) -> Response:
        member = self.member
        access.require_write(member)
        if isinstance(request.data, list) and len(request.data) > MAX_EVENTS:
            raise exceptions.ValidationError({"detail": [f"at most {MAX_EVENTS} events per request"]})
        serializer = EmailEventSerializer(data=request.data, many=True, allow_empty=False)
        serializer.is_valid(raise_exception=True)
        counts = services.email_events_record(
            workspace=member.workspace, events=serializer.validated_data, actor=member, via=VIA
        )
        return Response(counts)


class InboundEventSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    account = serializers.CharField(help_text="the account's id, or its external_id (the CRM id)")
    name = serializers.CharField(max_length=100)
    # The metaclass moves declared fields aside, so this does not shadow Serializer.data.
    data = serializers.JSONField(required=False, default=dict)  # type: ignore[assignment]  # a field declared on a serializer, typed by the stubs as its value


class InboundEventResultSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    id = serializers.IntegerField(help_text="the timeline entry")
    account = serializers.IntegerField()
    name = serializers.CharField()
    created = serializers.BooleanField(help_text="false when the Idempotency-Key was seen before")


@extend_schema_view(
    create=extend_schema(
        request=InboundEventSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="a repeat with the same key records nothing new",
            )
        ],
        responses={201: InboundEventResultSerializer, 200: InboundEventResultSerializer, **ERRORS},
    ),
)
class InboundEventViewSet(WorkspaceViewSet):
    """Another system reports an event about an account; it lands on the timeline as "webhook received"
    (data: name, payload) and playbooks with an event trigger on `webhook_received` can act on it."""

    serializer_class = InboundEventSerializer
    pagination_class = None  # type: ignore[assignment]  # the stubs type it as a class; None turns paging off here

    def _account(self, reference: str) -> Account:
        """The account with this external_id, else (for digits) this id; external ids win."""
        accounts = Account.objects.filter(workspace=self.member.workspace)
        found = accounts.filter(external_id=reference).first() if reference else None
        pk = parse_whole(reference)
        if found is None and pk is not None:
            found = accounts.filter(pk=pk).first()
        if found is None:
            raise exceptions.ValidationError({"account": [f"no account with id or external_id {reference!r}"]})
        return found

    def create(self, request: Request) -> Response:
        member = self.member
        access.require_write(member)
        fields = self.valid(InboundEventSerializer)
        entry, created = services.webhook_receive(
            workspace=member.workspace,
            account=self._account(fields["account"].strip()),
            name=fields["name"],
            data=fields["data"],
            idempotency_key=request.headers.get("Idempotency-Key", "").strip(),
            actor=member,
        )
        body = {"id": entry.pk, "account": entry.account_id, "name": entry.data.get("name"), "created": created}
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
