"""REST API v1 for expansion opportunities: list (filterable), retrieve, update, POST …/close/.

Thin: objects come through retain.access, writes go through retain.renewals.expansion. Whoever
may edit the account works its opportunities; viewers read.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from retain import access
from retain.accounts.models import Subscription
from retain.api.filters import IdFilter
from retain.api.serializers import InWorkspace, count_of, money
from retain.api.views import ERRORS, READ_ERRORS, VIA, WorkspaceViewSet
from retain.renewals import expansion
from retain.renewals.choices import ExpansionKind, ExpansionStatus
from retain.renewals.models import ExpansionOpportunity
from retain.tenancy.models import Member


class ExpansionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    amount = money(read_only=True, help_text="additional ARR expected (or won), workspace currency")

    class Meta:
        model = ExpansionOpportunity
        fields = [
            "id", "account", "kind", "signal", "explanation", "amount", "status", "owner", "notes", "opened_at",
            "closed_at",
        ]  # fmt: skip
        read_only_fields = fields


class ExpansionUpdateSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    """Fields left out stay as they are."""

    owner = InWorkspace(Member, required=False, allow_null=True)
    kind = serializers.ChoiceField(choices=ExpansionKind.choices, required=False)
    amount = money(min_value=Decimal(0), required=False)
    notes = serializers.CharField(required=False, allow_blank=True)


class ExpansionCloseSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    status = serializers.ChoiceField(choices=[ExpansionStatus.WON, ExpansionStatus.LOST])
    amount = money(min_value=Decimal(0), required=False, allow_null=True, help_text="ARR won; default the expected")
    subscription = InWorkspace(Subscription, required=False, allow_null=True, help_text="won: the one that grows")
    new_mrr = money(min_value=Decimal(0), required=False, allow_null=True, help_text="in the subscription's currency")
    new_seats = count_of(Subscription, "seats", required=False, allow_null=True)
    effective_on = serializers.DateField(required=False, allow_null=True, help_text="default: today")


class ExpansionFilter(django_filters.FilterSet):
    account = IdFilter(field_name="account_id")
    owner = IdFilter(field_name="owner_id")

    class Meta:
        model = ExpansionOpportunity
        fields = ["account", "owner", "status", "signal", "kind"]


@extend_schema_view(
    list=extend_schema(responses={200: ExpansionSerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(responses={200: ExpansionSerializer, **READ_ERRORS}),
    partial_update=extend_schema(request=ExpansionUpdateSerializer, responses={200: ExpansionSerializer, **ERRORS}),
)
class ExpansionViewSet(mixins.ListModelMixin, WorkspaceViewSet):
    """Expansion opportunities opened by signals (seat utilisation, enterprise features, promoter champion)."""

    serializer_class = ExpansionSerializer
    filterset_class = ExpansionFilter
    http_method_names = ["get", "patch", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[ExpansionOpportunity]:
        if self.schema_only:
            return ExpansionOpportunity.objects.none()
        return ExpansionOpportunity.objects.filter(workspace=self.member.workspace).order_by("-opened_at", "-id")

    def _detail(self, pk: int) -> Response:
        return self.respond(ExpansionSerializer, self.get_queryset().get(pk=pk))

    def retrieve(self, request: Request, pk: str) -> Response:
        return self._detail(access.get_expansion_for_user(self.member, pk).pk)

    def partial_update(self, request: Request, pk: str) -> Response:
        member = self.member
        opportunity = access.get_rw_expansion_for_user(member, pk)
        fields: dict[str, Any] = self.valid(ExpansionUpdateSerializer)
        expansion.expansion_update(opportunity=opportunity, actor=member, **fields)
        return self._detail(opportunity.pk)

    @extend_schema(request=ExpansionCloseSerializer, responses={200: ExpansionSerializer, **ERRORS})
    @action(detail=True, methods=["post"], serializer_class=ExpansionCloseSerializer, filter_backends=[])
    def close(self, request: Request, pk: str) -> Response:
        """Close as won or lost; a win with a subscription and new MRR or seats writes the movement."""
        member = self.member
        opportunity = access.get_rw_expansion_for_user(member, pk)
        fields = self.valid(ExpansionCloseSerializer)
        expansion.expansion_close(
            opportunity=opportunity,
            actor=member,
            via=VIA,
            status=fields["status"],
            amount=fields.get("amount"),
            subscription=fields.get("subscription"),
            new_mrr=fields.get("new_mrr"),
            new_seats=fields.get("new_seats"),
            effective_on=fields.get("effective_on"),
        )
        return self._detail(opportunity.pk)
