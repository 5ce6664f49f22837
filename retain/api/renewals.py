"""REST API v1 for renewals: list (filterable), retrieve, update the forecast, POST …/close/.

Thin, like retain/api/views.py: objects come through retain.access, writes go through
retain.renewals.services. Whoever may edit the account works its renewal; viewers read.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from retain import access
from retain.api.filters import IdFilter
from retain.api.serializers import InWorkspace, money
from retain.api.views import ERRORS, READ_ERRORS, VIA, WorkspaceViewSet
from retain.renewals import selectors, services
from retain.renewals.choices import NOT_FORECAST, OPEN_STAGES, ForecastCategory, Outcome, Stage
from retain.renewals.models import ReasonCode, Renewal
from retain.tenancy.models import Member


class ReasonCodeSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    class Meta:
        model = ReasonCode
        fields = ["id", "kind", "label", "active"]


class RenewalSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    target_amount = money(read_only=True, help_text="ARR up for renewal, workspace currency")
    forecast_category = serializers.ChoiceField(
        choices=ForecastCategory.choices, allow_blank=True, read_only=True,
        help_text="the owner's call; blank until the owner forecasts the renewal",
    )  # fmt: skip
    forecast_amount = money(read_only=True, allow_null=True, help_text="the owner's forecast ARR; null until set")
    expected_amount = serializers.SerializerMethodField(
        help_text="target × (1 − churn probability), workspace currency; null without a churn score"
    )
    churn_probability = serializers.SerializerMethodField(
        help_text="the account's latest churn probability, to 3 places, that expected_amount uses"
    )
    final_amount = money(read_only=True, allow_null=True)
    reasons = ReasonCodeSerializer(many=True, read_only=True)
    health_band = serializers.CharField(read_only=True, allow_null=True, help_text="the account's latest band")
    # Declared because a read-only model field loses allow_blank, and the schema then forbade the ""
    # every open renewal answers.
    outcome = serializers.ChoiceField(
        choices=Outcome.choices, allow_blank=True, read_only=True, help_text="blank while open"
    )

    class Meta:
        model = Renewal
        fields = [
            "id", "account", "subscription", "term_end", "owner", "stage", "forecast_category", "target_amount",
            "forecast_amount", "expected_amount", "churn_probability", "final_amount", "close_date", "outcome",
            "reasons", "notes", "opened_at", "closed_at", "health_band",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(money(allow_null=True))
    def get_expected_amount(self, renewal: Renewal) -> str | None:
        amount = selectors.expectation(renewal).amount
        return None if amount is None else str(amount)

    @extend_schema_field(
        serializers.DecimalField(
            max_digits=4,
            decimal_places=3,
            allow_null=True,
            help_text="the account's churn probability from the churn model in use; null when no model in use "
            "scored it (none trained yet, or the latest training is below the quality gate), and then "
            "expected_amount is null too",
        )
    )
    def get_churn_probability(self, renewal: Renewal) -> str | None:
        probability = selectors.expectation(renewal).probability
        return None if probability is None else str(probability)


class RenewalUpdateSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    """Fields left out stay as they are."""

    owner = InWorkspace(Member, required=False, allow_null=True)
    stage = serializers.ChoiceField(
        choices=Stage.choices, required=False, help_text="an open stage; close via …/close/"
    )
    forecast_category = serializers.ChoiceField(choices=ForecastCategory.choices, required=False)
    forecast_amount = money(min_value=Decimal(0), required=False)
    close_date = serializers.DateField(required=False)
    notes = serializers.CharField(required=False, allow_blank=True)


class RenewalCloseSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    final_amount = money(
        min_value=Decimal(0), required=False, allow_null=True,
        help_text="ARR signed, workspace currency; defaults to the target for renewed and 0 for churned",
    )  # fmt: skip
    reasons = InWorkspace(ReasonCode, many=True, required=False)
    new_term_end = serializers.DateField(required=False, allow_null=True, help_text="default: a year on")
    effective_on = serializers.DateField(required=False, allow_null=True, help_text="default: the term end")


class RenewalFilter(django_filters.FilterSet):
    account = IdFilter(field_name="account_id")
    owner = IdFilter(field_name="owner_id")
    tier = django_filters.CharFilter(field_name="account__tier")
    is_open = django_filters.BooleanFilter(method="filter_open", label="open (true) or closed (false)")
    term_end_before = django_filters.DateFilter(field_name="term_end", lookup_expr="lte")
    is_forecast = django_filters.BooleanFilter(
        method="filter_forecast", label="forecast by the owner (true) or not forecast yet (false)"
    )

    class Meta:
        model = Renewal
        fields = ["account", "owner", "stage", "forecast_category", "outcome"]

    def filter_open(self, queryset: QuerySet[Renewal], name: str, value: bool | None) -> QuerySet[Renewal]:
        if value is None:
            return queryset
        return queryset.filter(stage__in=OPEN_STAGES) if value else queryset.exclude(stage__in=OPEN_STAGES)

    def filter_forecast(self, queryset: QuerySet[Renewal], name: str, value: bool | None) -> QuerySet[Renewal]:
        if value is None:
            return queryset
        waiting = Q(forecast_category=NOT_FORECAST)
        return queryset.exclude(waiting) if value else queryset.filter(waiting)


@extend_schema_view(
    list=extend_schema(responses={200: RenewalSerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(responses={200: RenewalSerializer, **READ_ERRORS}),
    partial_update=extend_schema(request=RenewalUpdateSerializer, responses={200: RenewalSerializer, **ERRORS}),
)
class RenewalViewSet(mixins.ListModelMixin, WorkspaceViewSet):
    """One renewal opportunity per subscription term, opened when its renewal window opens."""

    serializer_class = RenewalSerializer
    filterset_class = RenewalFilter
    http_method_names = ["get", "patch", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[Renewal]:
        if self.schema_only:
            return Renewal.objects.none()
        return (
            selectors.renewals_annotated(self.member.workspace).prefetch_related("reasons").order_by("term_end", "id")
        )

    def _detail(self, pk: int) -> Response:
        return self.respond(RenewalSerializer, self.get_queryset().get(pk=pk))

    def retrieve(self, request: Request, pk: str) -> Response:
        renewal = access.get_renewal_for_user(self.member, pk)
        return self._detail(renewal.pk)

    def partial_update(self, request: Request, pk: str) -> Response:
        member = self.member
        renewal = access.get_rw_renewal_for_user(member, pk)
        fields: dict[str, Any] = self.valid(RenewalUpdateSerializer)
        services.renewal_update(renewal=renewal, actor=member, **fields)
        return self._detail(renewal.pk)

    @extend_schema(request=RenewalCloseSerializer, responses={200: RenewalSerializer, **ERRORS})
    @action(detail=True, methods=["post"], serializer_class=RenewalCloseSerializer, filter_backends=[])
    def close(self, request: Request, pk: str) -> Response:
        """Record the outcome; writes the subscription's movement (renewed, expansion, contraction, churn)."""
        member = self.member
        renewal = access.get_rw_renewal_for_user(member, pk)
        fields = self.valid(RenewalCloseSerializer)
        services.renewal_close(
            renewal=renewal,
            actor=member,
            via=VIA,
            outcome=fields["outcome"],
            final_amount=fields.get("final_amount"),
            reasons=fields.get("reasons", []),
            new_term_end=fields.get("new_term_end"),
            effective_on=fields.get("effective_on"),
        )
        return self._detail(renewal.pk)
