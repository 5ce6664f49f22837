"""REST API v1 for journeys: templates and their versions, journeys, milestones, barriers, stage moves.

Thin, like retain/api/views.py: objects come through retain.access, writes go through
retain.journeys.services. Managers and admins publish templates; whoever may edit an account starts
its journey, ticks its milestones, records and resolves its barriers and moves its lifecycle stage.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from retain import access
from retain.accounts.choices import Stage
from retain.accounts.models import Account, Contact
from retain.accounts.selectors import accounts_annotated
from retain.api import serializers as s
from retain.api.filters import IdFilter
from retain.api.serializers import InWorkspace
from retain.api.views import ERRORS, READ_ERRORS, VIA, WorkspaceViewSet
from retain.journeys import services
from retain.journeys.choices import BarrierKind, BarrierState, MilestoneKind, MilestoneStatus
from retain.journeys.models import Barrier, Journey, JourneyTemplate, MilestoneProgress
from retain.journeys.services import journeys_advance, lifecycle_move
from retain.tenancy.models import Member

# Templates ---------------------------------------------------------------------------------------


class JourneyTemplateSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    milestones = serializers.JSONField(
        help_text='ordered [{"key", "name", "target_week", "kind": "checklist"|"data", "items" | "criteria"}]'
    )
    applies_to = serializers.JSONField(help_text='{"tier": [...], "edition": [...]}; an absent key matches all')

    class Meta:
        model = JourneyTemplate
        fields = ["id", "key", "name", "version", "applies_to", "priority", "milestones", "is_current", "created_at"]
        read_only_fields = fields


class JourneyTemplatePublishSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    """A new template, or the next version of the one with this key; journeys under way keep theirs."""

    key = serializers.SlugField(max_length=60)
    name = serializers.CharField(max_length=200)
    milestones = serializers.JSONField(help_text="checked in full; errors name the path, e.g. milestones[2].criteria")
    applies_to = serializers.JSONField(required=False, allow_null=True)
    priority = serializers.IntegerField(min_value=0, max_value=10_000, default=100, help_text="lower goes first")


class JourneyTemplateFilter(django_filters.FilterSet):
    class Meta:
        model = JourneyTemplate
        fields = ["key", "is_current"]


@extend_schema_view(
    list=extend_schema(responses={200: JourneyTemplateSerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(responses={200: JourneyTemplateSerializer, **READ_ERRORS}),
    create=extend_schema(
        request=JourneyTemplatePublishSerializer, responses={201: JourneyTemplateSerializer, **ERRORS}
    ),
)
class JourneyTemplateViewSet(mixins.ListModelMixin, WorkspaceViewSet):
    """The paths customers walk, every version kept. Managers and admins publish new versions."""

    serializer_class = JourneyTemplateSerializer
    filterset_class = JourneyTemplateFilter

    def get_queryset(self) -> QuerySet[JourneyTemplate]:
        if self.schema_only:
            return JourneyTemplate.objects.none()
        return access.scoped(self.member, JourneyTemplate.objects.order_by("priority", "key", "-version"))

    def retrieve(self, request: Request, pk: str) -> Response:
        return self.respond(JourneyTemplateSerializer, access.get_journey_template_for_user(self.member, pk))

    def create(self, request: Request) -> Response:
        member = self.member
        access.require_manager(member)
        fields = self.valid(JourneyTemplatePublishSerializer)
        template = services.template_publish(workspace=member.workspace, actor=member, **fields)
        return self.respond(JourneyTemplateSerializer, template, status.HTTP_201_CREATED)


# Milestones --------------------------------------------------------------------------------------


class MilestoneSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    kind = serializers.SerializerMethodField(help_text="checklist (ticked by the team) or data (completes itself)")
    items = serializers.SerializerMethodField(help_text="the checklist's items; empty for a data milestone")

    class Meta:
        model = MilestoneProgress
        fields = [
            "id", "journey", "account", "key", "name", "order", "kind", "items", "due_on", "status",
            "completed_on", "evidence", "ticks", "last_progress_on",
        ]  # fmt: skip
        read_only_fields = fields

    def _definition(self, progress: MilestoneProgress) -> dict[str, Any]:
        return progress.journey.template.milestone(progress.key)

    @extend_schema_field(serializers.ChoiceField(choices=MilestoneKind.choices))
    def get_kind(self, progress: MilestoneProgress) -> str:
        return str(self._definition(progress)["kind"])

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_items(self, progress: MilestoneProgress) -> list[str]:
        return list(self._definition(progress).get("items", []))


class MilestoneTickSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    item = serializers.CharField(max_length=500, help_text="one of the milestone's checklist items, word for word")
    ticked = serializers.BooleanField(default=True, help_text="false unticks")


class MilestoneFilter(django_filters.FilterSet):
    account = IdFilter(field_name="account_id")
    journey = IdFilter(field_name="journey_id")

    class Meta:
        model = MilestoneProgress
        fields = ["account", "journey", "status", "key"]


@extend_schema_view(
    list=extend_schema(responses={200: MilestoneSerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(responses={200: MilestoneSerializer, **READ_ERRORS}),
)
class MilestoneViewSet(mixins.ListModelMixin, WorkspaceViewSet):
    """Where each account stands on each milestone of its journey: due date, status, evidence, ticks."""

    serializer_class = MilestoneSerializer
    filterset_class = MilestoneFilter

    def get_queryset(self) -> QuerySet[MilestoneProgress]:
        if self.schema_only:
            return MilestoneProgress.objects.none()
        rows = MilestoneProgress.objects.select_related("journey__template").order_by("account_id", "order", "id")
        return access.scoped(self.member, rows)

    def retrieve(self, request: Request, pk: str) -> Response:
        return self.respond(MilestoneSerializer, access.get_milestone_progress_for_user(self.member, pk))

    @extend_schema(request=MilestoneTickSerializer, responses={200: MilestoneSerializer, **ERRORS})
    @action(detail=True, methods=["post"], serializer_class=MilestoneTickSerializer, filter_backends=[])
    def tick(self, request: Request, pk: str) -> Response:
        """Tick (or untick) one checklist item; the milestone is done when every item is ticked."""
        member = self.member
        progress = access.get_rw_milestone_progress_for_user(member, pk)
        fields = self.valid(MilestoneTickSerializer)
        services.milestone_tick(progress=progress, actor=member, item=fields["item"], ticked=fields["ticked"])
        return self.respond(MilestoneSerializer, access.get_milestone_progress_for_user(member, pk))


# Journeys ----------------------------------------------------------------------------------------


class JourneySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    account_name = serializers.CharField(source="account.name", read_only=True)
    template_key = serializers.CharField(source="template.key", read_only=True)
    template_name = serializers.CharField(source="template.name", read_only=True)
    template_version = serializers.IntegerField(source="template.version", read_only=True)
    milestones = MilestoneSerializer(source="progress", many=True, read_only=True)

    class Meta:
        model = Journey
        fields = [
            "id", "account", "account_name", "template", "template_key", "template_name", "template_version",
            "started_on", "evaluated_on", "created_at", "milestones",
        ]  # fmt: skip
        read_only_fields = fields


class JourneyStartSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    """Starting a journey replaces the one the account was on, with all its progress."""

    account = InWorkspace(Account)
    template = InWorkspace(
        JourneyTemplate, required=False, allow_null=True, help_text="default: the current template that applies"
    )
    started_on = serializers.DateField(required=False, allow_null=True, help_text="default: customer since, else today")


class JourneyFilter(django_filters.FilterSet):
    account = IdFilter(field_name="account_id")
    template = IdFilter(field_name="template_id")
    status = django_filters.ChoiceFilter(
        choices=MilestoneStatus.choices, method="filter_status", label="journeys with a milestone in this status"
    )

    class Meta:
        model = Journey
        fields = ["account", "template", "status"]

    def filter_status(self, queryset: QuerySet[Journey], name: str, value: str) -> QuerySet[Journey]:
        having = MilestoneProgress.objects.filter(status=value).values("journey_id")
        return queryset.filter(pk__in=having)


@extend_schema_view(
    list=extend_schema(responses={200: JourneySerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(responses={200: JourneySerializer, **READ_ERRORS}),
    create=extend_schema(request=JourneyStartSerializer, responses={201: JourneySerializer, **ERRORS}),
)
class JourneyViewSet(mixins.ListModelMixin, WorkspaceViewSet):
    """Accounts walking their journey template version, each with its milestones in order."""

    serializer_class = JourneySerializer
    filterset_class = JourneyFilter

    def get_queryset(self) -> QuerySet[Journey]:
        if self.schema_only:
            return Journey.objects.none()
        milestones = MilestoneProgress.objects.order_by("order", "id")
        rows = (
            Journey.objects.select_related("account", "template")
            .prefetch_related(Prefetch("progress", queryset=milestones))
            .order_by("account__name", "id")
        )
        return access.scoped(self.member, rows)

    def _detail(self, pk: object) -> Response:
        return self.respond(JourneySerializer, access.get_for_member(self.member, self.get_queryset(), pk))

    def retrieve(self, request: Request, pk: str) -> Response:
        return self._detail(pk)

    def create(self, request: Request) -> Response:
        """Put an account on a journey (replacing the one it was on) and evaluate it at once."""
        member = self.member
        access.require_write(member)
        fields = self.valid(JourneyStartSerializer)
        account = access.get_rw_account_for_user(member, fields["account"].pk)
        journey = services.journey_start(
            account=account, template=fields.get("template"), started_on=fields.get("started_on")
        )
        # A journey started in the past has milestones already due: their statuses are set now
        # rather than at the nightly run.
        journeys_advance(workspace=member.workspace, account_ids=[account.pk])
        response = self._detail(journey.pk)
        response.status_code = status.HTTP_201_CREATED
        return response


# Barriers ----------------------------------------------------------------------------------------


class BarrierSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    milestone = serializers.PrimaryKeyRelatedField(  # type: ignore[var-annotated]  # the field's queryset is set per request in __init__
        source="progress", read_only=True, help_text="the milestone (id from /milestones/) it stands in the way of"
    )
    milestone_name = serializers.CharField(source="progress.name", read_only=True)

    class Meta:
        model = Barrier
        fields = [
            "id", "account", "milestone", "milestone_name", "kind", "title", "note", "owner", "owner_contact",
            "state", "opened_on", "resolved_on", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class BarrierCreateSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    """One owner: a member of our team (owner) or a contact of the account (owner_contact)."""

    milestone = InWorkspace(MilestoneProgress, help_text="the milestone (id from /milestones/) it stands in the way of")
    kind = serializers.ChoiceField(choices=BarrierKind.choices)
    title = serializers.CharField(max_length=200, help_text="said the same way across accounts so it can be counted")
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    owner = InWorkspace(Member, required=False, allow_null=True)
    owner_contact = InWorkspace(Contact, required=False, allow_null=True)


class BarrierFilter(django_filters.FilterSet):
    account = IdFilter(field_name="account_id")
    milestone = IdFilter(field_name="progress_id")
    state = django_filters.ChoiceFilter(choices=BarrierState.choices)
    kind = django_filters.ChoiceFilter(choices=BarrierKind.choices)

    class Meta:
        model = Barrier
        fields = ["account", "milestone", "state", "kind"]


@extend_schema_view(
    list=extend_schema(responses={200: BarrierSerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(responses={200: BarrierSerializer, **READ_ERRORS}),
    create=extend_schema(request=BarrierCreateSerializer, responses={201: BarrierSerializer, **ERRORS}),
)
class BarrierViewSet(mixins.ListModelMixin, WorkspaceViewSet):
    """What stands in a milestone's way: a customer challenge or our issue, with one owner, newest first."""

    serializer_class = BarrierSerializer
    filterset_class = BarrierFilter

    def get_queryset(self) -> QuerySet[Barrier]:
        if self.schema_only:
            return Barrier.objects.none()
        return access.scoped(self.member, Barrier.objects.select_related("progress").order_by("-opened_on", "-id"))

    def retrieve(self, request: Request, pk: str) -> Response:
        return self.respond(BarrierSerializer, access.get_barrier_for_user(self.member, pk))

    def create(self, request: Request) -> Response:
        member = self.member
        access.require_write(member)
        fields = self.valid(BarrierCreateSerializer)
        progress = access.get_rw_milestone_progress_for_user(member, fields.pop("milestone").pk)
        barrier = services.barrier_add(progress=progress, actor=member, via="api", **fields)
        return self.respond(BarrierSerializer, barrier, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: BarrierSerializer, **ERRORS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def resolve(self, request: Request, pk: str) -> Response:
        """Mark the barrier resolved today."""
        barrier = access.get_rw_barrier_for_user(self.member, pk)
        services.barrier_resolve(barrier=barrier)
        return self.respond(BarrierSerializer, barrier)


# Lifecycle stage -----------------------------------------------------------------------------------


class StageMoveSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    stage = serializers.ChoiceField(choices=Stage.choices)
    reason = serializers.CharField(max_length=200, help_text="why the account moves; kept on its timeline")


class AccountStageViewSet(WorkspaceViewSet):
    """POST /accounts/{id}/stage/: a manual lifecycle move with its reason (the rest is AccountViewSet)."""

    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Account]:
        if self.schema_only:
            return Account.objects.none()
        return accounts_annotated(self.member.workspace)

    @extend_schema(request=StageMoveSerializer, responses={200: s.AccountDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"], serializer_class=StageMoveSerializer)
    def stage(self, request: Request, pk: str) -> Response:
        """Move the account to a lifecycle stage by hand; the timeline records who, when and why."""
        member = self.member
        account = access.get_rw_account_for_user(member, pk)
        fields = self.valid(StageMoveSerializer)
        lifecycle_move(account=account, actor=member, stage=fields["stage"], reason=fields["reason"], via=VIA)
        return self.respond(s.AccountDetailSerializer, access.get_for_member(member, self.get_queryset(), pk))
