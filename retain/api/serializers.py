"""The API's shapes. Serializers check types and references only; services hold the rules.

References to other objects (an account, an owner, contacts) are ids resolved within the caller's
workspace, so an id from another workspace is answered exactly like one that does not exist.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, Model, QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from retain.accounts.choices import ContactRole
from retain.accounts.models import (
    Account,
    Contact,
    Segment,
    Subscription,
    SubscriptionMovement,
    TimelineEntry,
    Touchpoint,
)
from retain.accounts.segments import describe
from retain.lib.columns import integer_range
from retain.surveys.models import Response as SurveyResponse
from retain.surveys.models import Survey
from retain.tenancy.models import Member


def money(**options: Any) -> serializers.DecimalField:
    """An amount in a currency, as a string with cents (JSON numbers would lose precision).

    Sized like the money columns it is stored in, so a value they cannot hold is a 400 here.
    """
    column = Subscription._meta.get_field("mrr")
    assert isinstance(column, DecimalField)
    return serializers.DecimalField(max_digits=column.max_digits, decimal_places=column.decimal_places, **options)


def count_of(model: type[Model], name: str, **options: Any) -> serializers.IntegerField:
    """A whole number within the range of model.name's column on every database."""
    low, high = integer_range(model._meta.get_field(name))  # type: ignore[arg-type]  # get_field may return a relation; these names are plain columns
    options.setdefault("min_value", low)
    return serializers.IntegerField(max_value=high, **options)


class InWorkspace(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    """An id of an object in the caller's workspace; any other id reads as "does not exist"."""

    default_error_messages = {
        "does_not_exist": "no {model} with id {pk_value} in this workspace",
        "incorrect_type": "must be an id (a whole number), not {data_type}",
    }

    def __init__(self, model: type[Model], **kwargs: Any) -> None:
        self.model = model
        kwargs.setdefault("queryset", model._default_manager.all())
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        member: Member = self.context["member"]
        return self.model._default_manager.filter(workspace_id=member.workspace_id)

    def fail(self, key: str, **kwargs: Any) -> None:  # type: ignore[override]  # fail() never returns: it raises the field's error
        kwargs.setdefault("model", self.model._meta.verbose_name)
        super().fail(key, **kwargs)


class ErrorsSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    """The error envelope (see retain/api/errors.py)."""

    # The metaclass moves declared fields aside, so this does not shadow Serializer.errors.
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))  # type: ignore[assignment]  # a field declared on a serializer, typed by the stubs as its value


# Accounts ----------------------------------------------------------------------------------------


class AccountSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    owner = InWorkspace(Member, allow_null=True, required=False)
    owner_name = serializers.SerializerMethodField()
    mrr = money(read_only=True)
    arr = money(read_only=True)
    next_renewal_on = serializers.DateField(read_only=True, allow_null=True)
    days_to_renewal = serializers.SerializerMethodField()
    last_touchpoint_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Account
        fields = [
            "id", "external_id", "name", "domain", "tier", "edition", "stage", "stage_entered_on",
            "owner", "owner_name", "industry", "employees", "annual_revenue", "traits", "customer_since",
            "mrr", "arr", "next_renewal_on", "days_to_renewal", "last_touchpoint_at", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]

    def get_owner_name(self, account: Account) -> str | None:
        return account.owner.display_name if account.owner else None

    def get_days_to_renewal(self, account: Account) -> int | None:
        renewal: dt.date | None = getattr(account, "next_renewal_on", None)
        if renewal is None:
            return None
        today: dt.date = self.context["today"]
        return (renewal - today).days

    def validate_traits(self, value: Any) -> Any:
        if not isinstance(value, dict):
            raise serializers.ValidationError("must be an object of trait name → value")
        return value


class AccountUpdateSerializer(AccountSerializer):
    """Fields left out stay as they are. A new stage is a lifecycle move: it needs a reason."""

    reason = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=200,
        help_text="why the account moves to the new stage (required with one); kept on its timeline",
    )  # fmt: skip

    class Meta(AccountSerializer.Meta):
        fields = [*AccountSerializer.Meta.fields, "reason"]


class SubscriptionSummarySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    class Meta:
        model = Subscription
        fields = ["id", "product", "currency", "seats", "mrr", "started_on", "term_end", "status", "ended_on"]


class AccountDetailSerializer(AccountSerializer):
    subscriptions = serializers.SerializerMethodField()

    class Meta(AccountSerializer.Meta):
        fields = [*AccountSerializer.Meta.fields, "subscriptions"]

    @extend_schema_field(SubscriptionSummarySerializer(many=True))
    def get_subscriptions(self, account: Account) -> Any:
        rows = account.subscriptions.order_by("status", "term_end", "id")
        return SubscriptionSummarySerializer(rows, many=True).data


class TimelineEntrySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = TimelineEntry
        fields = [
            "id", "kind", "occurred_at", "summary", "data", "actor", "actor_name", "actor_label",
            "contact", "subscription", "touchpoint",
        ]  # fmt: skip

    def get_actor_name(self, entry: TimelineEntry) -> str | None:
        return entry.actor.display_name if entry.actor else None


# Contacts ----------------------------------------------------------------------------------------


class ContactSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    account = InWorkspace(Account)

    class Meta:
        model = Contact
        fields = [
            "id", "account", "external_id", "email", "first_name", "last_name", "title", "phone",
            "role", "status", "left_on", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]


# Subscriptions -----------------------------------------------------------------------------------


class SubscriptionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    account = InWorkspace(Account)
    currency = serializers.CharField(
        max_length=3, required=False, allow_blank=True, help_text="ISO 4217; the workspace currency if left out."
    )
    mrr = money(min_value=Decimal(0))

    class Meta:
        model = Subscription
        fields = [
            "id", "account", "external_id", "product", "currency", "seats", "mrr", "started_on", "term_end",
            "status", "ended_on", "created_at",
        ]  # fmt: skip
        read_only_fields = ["status", "ended_on", "created_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["term_end"] <= attrs["started_on"]:
            raise serializers.ValidationError({"term_end": "must be after the start date"})
        return attrs


class SubscriptionChangeSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    """A dated change; fields left out stay as they are. An MRR of 0 churns the subscription."""

    effective_on = serializers.DateField()
    mrr = money(min_value=Decimal(0), required=False)
    seats = count_of(Subscription, "seats", required=False)
    product = serializers.CharField(max_length=200, required=False)
    term_end = serializers.DateField(required=False)


class MovementSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    mrr_delta = money(read_only=True)

    class Meta:
        model = SubscriptionMovement
        fields = [
            "id", "subscription", "effective_on", "kind", "mrr_before", "mrr_after", "mrr_delta",
            "seats_before", "seats_after", "product_before", "product_after", "currency", "recorded_at",
        ]  # fmt: skip


class SubscriptionChangeResultSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    subscription = SubscriptionSerializer()
    movement = MovementSerializer(allow_null=True, help_text="null when only the term end changed")


# Touchpoints -------------------------------------------------------------------------------------


class TouchpointSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    account = InWorkspace(Account)
    member = InWorkspace(
        Member, required=False, allow_null=True, help_text="who spoke to the customer; you if left out"
    )
    contacts = InWorkspace(Contact, many=True, required=False)

    class Meta:
        model = Touchpoint
        fields = ["id", "account", "kind", "occurred_at", "member", "contacts", "summary", "next_step", "created_at"]
        read_only_fields = ["created_at"]


# Segments ----------------------------------------------------------------------------------------


class SegmentSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    criteria = serializers.JSONField(
        required=False, help_text="the accounts-list filters: q, tier, edition, stage, owner, renewal_within_days, …"
    )
    description = serializers.SerializerMethodField()

    class Meta:
        model = Segment
        fields = ["id", "name", "criteria", "description", "created_by", "created_at", "updated_at"]
        read_only_fields = ["created_by", "created_at", "updated_at"]
        # Uniqueness of the name is the service's to check, with a message naming the field.
        validators: list[Any] = []

    def get_description(self, segment: Segment) -> str:
        return describe(segment.criteria)


# Members -----------------------------------------------------------------------------------------


class MemberSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    email = serializers.EmailField(source="user.email", read_only=True)
    name = serializers.CharField(source="display_name", read_only=True)

    class Meta:
        model = Member
        fields = ["id", "email", "name", "role", "csm_kind", "capacity_unit", "capacity", "is_active", "created_at"]
        read_only_fields = ["created_at"]


# Surveys -----------------------------------------------------------------------------------------


class SurveySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    """A survey definition; written through surveys.services, which checks what each schedule needs."""

    question = serializers.CharField(
        required=False, allow_blank=True, max_length=300, help_text="the kind's standard question if left out"
    )
    segment = InWorkspace(Segment, allow_null=True, required=False, help_text="only its accounts; null: all")
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=ContactRole.choices),
        required=False,
        help_text="only contacts with one of these roles; empty: every role",
    )
    scale_min = serializers.SerializerMethodField()
    scale_max = serializers.SerializerMethodField()

    class Meta:
        model = Survey
        fields = [
            "id", "name", "kind", "question", "ask_why", "scale_min", "scale_max", "segment", "roles",
            "schedule_kind", "schedule_days", "trigger_kind", "validity_days", "fatigue_limit",
            "fatigue_window_days", "first_ask_after_days", "is_active", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {
            "schedule_days": {"help_text": "before_renewal: days before the term end; recurring: days between asks"},
            "trigger_kind": {"help_text": "after_event: the timeline entry kind that starts a send"},
            "first_ask_after_days": {
                "help_text": "recurring: an account is first asked this many days after it became a paying customer"
            },
        }
        # Uniqueness of the name is the service's to check, with a message naming the field.
        validators: list[Any] = []

    def get_scale_min(self, survey: Survey) -> int:
        return survey.scale[0]

    def get_scale_max(self, survey: Survey) -> int:
        return survey.scale[1]


class SurveyResponseSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    survey = InWorkspace(Survey)
    contact = InWorkspace(Contact)
    score = serializers.IntegerField(min_value=0, max_value=10, help_text="0–10 for NPS, 1–5 for CSAT")
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    answered_at = serializers.DateTimeField(required=False, help_text="now if left out")

    class Meta:
        model = SurveyResponse
        fields = [
            "id", "survey", "account", "contact", "score", "category", "comment", "answered_at", "source",
            "changes", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["account", "category", "source", "changes", "created_at", "updated_at"]
