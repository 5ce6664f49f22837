"""REST API v1 for success plans: plans with their progress roll-up, goals, objectives, key success
metrics, commitments (joint accountabilities), the plan's history, and shared links for the customer.

Thin, like retain/api/views.py: objects come through retain.access, writes go through
retain.plans.services, which leave a PlanEvent for every change. Whoever may edit the account
edits its plan; every member reads.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.conf import settings
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from retain import access
from retain.accounts.models import Account, Contact
from retain.api.filters import IdFilter
from retain.api.serializers import InWorkspace
from retain.api.views import ERRORS, READ_ERRORS, WorkspaceViewSet
from retain.plans import progress, selectors, services
from retain.plans.choices import CommitmentStatus, LinkPurpose, PlanStatus
from retain.plans.models import Commitment, Goal, Objective, PlanEvent, SharedLink, SuccessMetric, SuccessPlan
from retain.tenancy.models import Member


def value(**options: Any) -> serializers.DecimalField:
    """A metric value, as precise as the model keeps it (a string, like money)."""
    return serializers.DecimalField(max_digits=16, decimal_places=4, **options)


class InPlans(InWorkspace):
    """An id of a goal or objective of a plan in the caller's workspace (they carry no workspace)."""

    def __init__(self, model: type[Goal] | type[Objective], plan_path: str, **kwargs: Any) -> None:
        self.plan_path = plan_path
        super().__init__(model, **kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        member: Member = self.context["member"]
        return self.model._default_manager.filter(**{f"{self.plan_path}__workspace_id": member.workspace_id})


def _share(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


# Shapes of a plan's tree ---------------------------------------------------------------------------


class SuccessMetricSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    objective = InPlans(Objective, "goal__plan")
    start_value = value()
    target_value = value()
    current_value = value(
        required=False, help_text="the start value if left out; metrics bound to a measure update themselves"
    )
    measure_kind = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text="a health measure kind that keeps it current; blank: typed in",
    )
    progress = serializers.SerializerMethodField(help_text="(current − start) / (target − start), clamped to 0..1")

    class Meta:
        model = SuccessMetric
        fields = [
            "id", "objective", "name", "unit", "start_value", "current_value", "target_value", "measure_kind",
            "current_as_of", "progress",
        ]  # fmt: skip
        read_only_fields = ["current_as_of"]

    def get_progress(self, metric: SuccessMetric) -> float:
        return round(progress.metric_progress(metric.start_value, metric.current_value, metric.target_value), 4)


class MetricValueSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    current_value = value(help_text="only for metrics not bound to a measure")


class TitleSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    title = serializers.CharField(max_length=200)


class ObjectiveNodeSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    id = serializers.IntegerField(source="objective.id")
    title = serializers.CharField(source="objective.title")
    position = serializers.IntegerField(source="objective.position")
    progress = serializers.FloatField(allow_null=True, help_text="the mean of its metrics'; null without metrics")
    metrics = serializers.SerializerMethodField()

    @extend_schema_field(SuccessMetricSerializer(many=True))
    def get_metrics(self, row: selectors.ObjectiveRow) -> Any:
        return SuccessMetricSerializer([m.metric for m in row.metrics], many=True, context=self.context).data


class GoalNodeSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    id = serializers.IntegerField(source="goal.id")
    title = serializers.CharField(source="goal.title")
    position = serializers.IntegerField(source="goal.position")
    progress = serializers.FloatField(allow_null=True, help_text="the mean of its objectives'")
    objectives = ObjectiveNodeSerializer(many=True)


class CommitmentSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    plan = InWorkspace(SuccessPlan)
    owner_contact = InWorkspace(
        Contact, required=False, allow_null=True, help_text="a contact of the account (their side); or owner_member"
    )
    owner_member = InWorkspace(
        Member, required=False, allow_null=True, help_text="an active member of the team (our side); or owner_contact"
    )
    owner_name = serializers.SerializerMethodField()
    side = serializers.ChoiceField(choices=["customer", "us"], read_only=True)

    class Meta:
        model = Commitment
        fields = [
            "id",
            "plan",
            "description",
            "owner_contact",
            "owner_member",
            "owner_name",
            "side",
            "due_on",
            "status",
        ]
        read_only_fields = ["status"]

    def get_owner_name(self, commitment: Commitment) -> str:
        if commitment.owner_contact is not None:
            return commitment.owner_contact.full_name or commitment.owner_contact.email
        return commitment.owner_member.display_name if commitment.owner_member else ""


class CommitmentStatusSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    status = serializers.ChoiceField(choices=CommitmentStatus.choices)


class PlanSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    """A success plan as a tree: goals → objectives → key success metrics, and the commitments."""

    id = serializers.IntegerField(source="plan.id")
    account = serializers.IntegerField(source="plan.account_id")
    vision = serializers.CharField(source="plan.vision")
    status = serializers.ChoiceField(source="plan.status", choices=PlanStatus.choices)
    progress = serializers.SerializerMethodField(help_text="the mean of its goals'; null without any metric")
    commitments_done = serializers.SerializerMethodField(help_text="the share of commitments done")
    created_at = serializers.DateTimeField(source="plan.created_at")
    updated_at = serializers.DateTimeField(source="plan.updated_at")
    goals = GoalNodeSerializer(many=True)
    commitments = CommitmentSerializer(many=True)

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_progress(self, view: selectors.PlanView) -> float | None:
        return _share(view.progress)

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_commitments_done(self, view: selectors.PlanView) -> float | None:
        return _share(view.commitments_done)


class PlanUpdateSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    """Fields left out stay as they are (a new plan: no vision, active)."""

    vision = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    status = serializers.ChoiceField(choices=PlanStatus.choices, required=False)


class PlanWriteSerializer(PlanUpdateSerializer):
    account = InWorkspace(Account, help_text="one plan per account")


class PlanEventSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = PlanEvent
        fields = ["id", "at", "summary", "actor", "actor_name"]

    def get_actor_name(self, event: PlanEvent) -> str | None:
        return event.actor.display_name if event.actor else None


# Success plans -------------------------------------------------------------------------------------


class PlanFilter(django_filters.FilterSet):
    account = IdFilter(field_name="account_id")
    status = django_filters.ChoiceFilter(choices=PlanStatus.choices)

    class Meta:
        model = SuccessPlan
        fields = ["account", "status"]


@extend_schema_view(
    list=extend_schema(responses={200: PlanSerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(responses={200: PlanSerializer, **READ_ERRORS}),
    create=extend_schema(request=PlanWriteSerializer, responses={201: PlanSerializer, **ERRORS}),
    partial_update=extend_schema(request=PlanUpdateSerializer, responses={200: PlanSerializer, **ERRORS}),
)
class SuccessPlanViewSet(mixins.ListModelMixin, WorkspaceViewSet):
    """One success plan per account: the customer's vision, goals, key success metrics and who does what."""

    serializer_class = PlanSerializer
    filterset_class = PlanFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[SuccessPlan]:
        if self.schema_only:
            return SuccessPlan.objects.none()
        return access.scoped(self.member, SuccessPlan.objects.order_by("account__name", "id"))

    def _tree(self, plan: SuccessPlan, code: int = status.HTTP_200_OK) -> Response:
        return self.respond(PlanSerializer, selectors.plan_view(plan), code)

    def list(self, request: Request) -> Response:
        plans = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        views = selectors.plan_views(list(plans or []))
        return self.get_paginated_response(PlanSerializer(views, many=True, context=self.get_serializer_context()).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return self._tree(access.get_plan_for_user(self.member, pk))

    def create(self, request: Request) -> Response:
        member = self.member
        access.require_write(member)
        fields = self.valid(PlanWriteSerializer)
        account = access.get_rw_account_for_user(member, fields["account"].pk)
        existing = selectors.plan_for_account(account)
        if existing is not None:
            raise exceptions.ValidationError(
                {"account": [f"{account.name} has a success plan already (id {existing.pk}); PATCH it"]}
            )
        plan = services.plan_get_or_create(account=account, actor=member)
        if "vision" in fields or "status" in fields:
            services.plan_update(
                plan=plan, actor=member, vision=fields.get("vision", ""), status=fields.get("status", plan.status)
            )
        return self._tree(plan, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        member = self.member
        plan = access.get_rw_plan_for_user(member, pk)
        fields = self.valid(PlanUpdateSerializer)
        services.plan_update(
            plan=plan, actor=member, vision=fields.get("vision", plan.vision), status=fields.get("status", plan.status)
        )
        return self._tree(plan)

    @extend_schema(responses={200: PlanEventSerializer(many=True), **READ_ERRORS})
    @action(detail=True, methods=["get"], serializer_class=PlanEventSerializer, filter_backends=[])
    def history(self, request: Request, pk: str) -> Response:
        """Every change to the plan in words, newest first."""
        plan = access.get_plan_for_user(self.member, pk)
        return self.page(plan.events.select_related("actor__user").order_by("-at", "-id"), PlanEventSerializer)


# Goals, objectives, metrics, commitments ----------------------------------------------------------


class _PlanItemViewSet(mixins.ListModelMixin, WorkspaceViewSet):
    """Shared by the four parts of a plan: list and read within the workspace, remove with the history."""

    model: type[Goal] | type[Objective] | type[SuccessMetric] | type[Commitment]
    plan_path: str
    ordering: tuple[str, ...] = ("id",)

    def get_queryset(self) -> QuerySet[Any]:
        if self.schema_only:
            return self.model._default_manager.none()
        rows = self.model._default_manager.filter(**{f"{self.plan_path}__workspace_id": self.member.workspace_id})
        return rows.order_by(*self.ordering)

    def retrieve(self, request: Request, pk: str) -> Response:
        return self.respond(self.get_serializer_class(), access.get_plan_item_for_user(self.member, self.model, pk))

    def destroy(self, request: Request, pk: str) -> Response:
        """Remove it and what hangs under it; the plan's history keeps its name."""
        item = access.get_rw_plan_item_for_user(self.member, self.model, pk)
        services.plan_item_remove(item=item, actor=self.member)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _plan_rw(self, plan: SuccessPlan) -> SuccessPlan:
        return access.get_rw_plan_for_user(self.member, plan.pk)


class GoalSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    plan = InWorkspace(SuccessPlan)

    class Meta:
        model = Goal
        fields = ["id", "plan", "title", "position"]
        read_only_fields = ["position"]


class GoalFilter(django_filters.FilterSet):
    plan = IdFilter(field_name="plan_id")
    account = IdFilter(field_name="plan__account_id")

    class Meta:
        model = Goal
        fields = ["plan", "account"]


@extend_schema_view(
    list=extend_schema(responses={200: GoalSerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(responses={200: GoalSerializer, **READ_ERRORS}),
    create=extend_schema(responses={201: GoalSerializer, **ERRORS}),
    partial_update=extend_schema(request=TitleSerializer, responses={200: GoalSerializer, **ERRORS}),
    destroy=extend_schema(responses={204: None, **ERRORS}),
)
class GoalViewSet(_PlanItemViewSet):
    """Business outcomes the customer wants ("double inbound leads this year"), in plan order."""

    serializer_class = GoalSerializer
    filterset_class = GoalFilter
    model = Goal
    plan_path = "plan"
    ordering = ("plan_id", "position", "id")

    def create(self, request: Request) -> Response:
        access.require_write(self.member)
        fields = self.valid(GoalSerializer)
        goal = services.goal_add(plan=self._plan_rw(fields["plan"]), actor=self.member, title=fields["title"])
        return self.respond(GoalSerializer, goal, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        """Rename the goal; the plan's history keeps the old title."""
        goal = access.get_rw_plan_item_for_user(self.member, Goal, pk)
        services.plan_item_rename(item=goal, actor=self.member, title=self.valid(TitleSerializer)["title"])
        return self.respond(GoalSerializer, goal)


class ObjectiveSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    goal = InPlans(Goal, "plan")

    class Meta:
        model = Objective
        fields = ["id", "goal", "title", "position"]
        read_only_fields = ["position"]


class ObjectiveFilter(django_filters.FilterSet):
    goal = IdFilter(field_name="goal_id")
    plan = IdFilter(field_name="goal__plan_id")

    class Meta:
        model = Objective
        fields = ["goal", "plan"]


@extend_schema_view(
    list=extend_schema(responses={200: ObjectiveSerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(responses={200: ObjectiveSerializer, **READ_ERRORS}),
    create=extend_schema(responses={201: ObjectiveSerializer, **ERRORS}),
    partial_update=extend_schema(request=TitleSerializer, responses={200: ObjectiveSerializer, **ERRORS}),
    destroy=extend_schema(responses={204: None, **ERRORS}),
)
class ObjectiveViewSet(_PlanItemViewSet):
    """Concrete steps towards a goal, measured by key success metrics."""

    serializer_class = ObjectiveSerializer
    filterset_class = ObjectiveFilter
    model = Objective
    plan_path = "goal__plan"
    ordering = ("goal_id", "position", "id")

    def create(self, request: Request) -> Response:
        access.require_write(self.member)
        fields = self.valid(ObjectiveSerializer)
        goal = access.get_rw_plan_item_for_user(self.member, Goal, fields["goal"].pk)
        objective = services.objective_add(goal=goal, actor=self.member, title=fields["title"])
        return self.respond(ObjectiveSerializer, objective, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        """Rename the objective; the plan's history keeps the old title."""
        objective = access.get_rw_plan_item_for_user(self.member, Objective, pk)
        services.plan_item_rename(item=objective, actor=self.member, title=self.valid(TitleSerializer)["title"])
        return self.respond(ObjectiveSerializer, objective)


class MetricFilter(django_filters.FilterSet):
    objective = IdFilter(field_name="objective_id")
    plan = IdFilter(field_name="objective__goal__plan_id")
    bound = django_filters.BooleanFilter(method="filter_bound", label="bound to a measure (true) or typed in")

    class Meta:
        model = SuccessMetric
        fields = ["objective", "plan", "bound"]

    def filter_bound(self, queryset: QuerySet[SuccessMetric], name: str, value: bool | None) -> QuerySet[SuccessMetric]:
        if value is None:
            return queryset
        return queryset.exclude(measure_kind="") if value else queryset.filter(measure_kind="")


@extend_schema_view(
    list=extend_schema(responses={200: SuccessMetricSerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(responses={200: SuccessMetricSerializer, **READ_ERRORS}),
    create=extend_schema(responses={201: SuccessMetricSerializer, **ERRORS}),
    partial_update=extend_schema(request=MetricValueSerializer, responses={200: SuccessMetricSerializer, **ERRORS}),
    destroy=extend_schema(responses={204: None, **ERRORS}),
)
class SuccessMetricViewSet(_PlanItemViewSet):
    """Key success metrics: start, current and target values; PATCH sets the current value of a typed-in one."""

    serializer_class = SuccessMetricSerializer
    filterset_class = MetricFilter
    model = SuccessMetric
    plan_path = "objective__goal__plan"

    def create(self, request: Request) -> Response:
        access.require_write(self.member)
        fields = self.valid(SuccessMetricSerializer)
        objective = access.get_rw_plan_item_for_user(self.member, Objective, fields.pop("objective").pk)
        metric = services.metric_add(objective=objective, actor=self.member, **fields)
        return self.respond(SuccessMetricSerializer, metric, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        metric = access.get_rw_plan_item_for_user(self.member, SuccessMetric, pk)
        fields = self.valid(MetricValueSerializer)
        services.metric_set_current(metric=metric, actor=self.member, current_value=fields["current_value"])
        return self.respond(SuccessMetricSerializer, metric)


class CommitmentFilter(django_filters.FilterSet):
    plan = IdFilter(field_name="plan_id")
    account = IdFilter(field_name="plan__account_id")
    owner_member = IdFilter(field_name="owner_member_id")
    owner_contact = IdFilter(field_name="owner_contact_id")
    status = django_filters.ChoiceFilter(choices=CommitmentStatus.choices)
    due_before = django_filters.DateFilter(field_name="due_on", lookup_expr="lte")

    class Meta:
        model = Commitment
        fields = ["plan", "account", "owner_member", "owner_contact", "status", "due_before"]


@extend_schema_view(
    list=extend_schema(responses={200: CommitmentSerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(responses={200: CommitmentSerializer, **READ_ERRORS}),
    create=extend_schema(responses={201: CommitmentSerializer, **ERRORS}),
    partial_update=extend_schema(request=CommitmentStatusSerializer, responses={200: CommitmentSerializer, **ERRORS}),
    destroy=extend_schema(responses={204: None, **ERRORS}),
)
class CommitmentViewSet(_PlanItemViewSet):
    """Joint accountabilities: what the customer or we promised to do by a date, each with one owner."""

    serializer_class = CommitmentSerializer
    filterset_class = CommitmentFilter
    model = Commitment
    plan_path = "plan"
    ordering = ("due_on", "id")

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().select_related("owner_contact", "owner_member__user")

    def create(self, request: Request) -> Response:
        access.require_write(self.member)
        fields = self.valid(CommitmentSerializer)
        plan = self._plan_rw(fields.pop("plan"))
        commitment = services.commitment_add(plan=plan, actor=self.member, **fields)
        return self.respond(CommitmentSerializer, commitment, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        commitment = access.get_rw_plan_item_for_user(self.member, Commitment, pk)
        fields = self.valid(CommitmentStatusSerializer)
        services.commitment_set_status(commitment=commitment, actor=self.member, status=fields["status"])
        return self.respond(CommitmentSerializer, commitment)


# Shared links --------------------------------------------------------------------------------------


class SharedLinkSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    """A link's metadata; the token itself is shown once, when the link is created, and never again."""

    is_live = serializers.SerializerMethodField(help_text="neither expired nor revoked")

    class Meta:
        model = SharedLink
        fields = ["id", "account", "purpose", "created_by", "created_at", "expires_at", "revoked_at", "is_live"]
        read_only_fields = fields

    def get_is_live(self, link: SharedLink) -> bool:
        return link.revoked_at is None and link.expires_at > timezone.now()


class SharedLinkCreateSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    account = InWorkspace(Account)
    purpose = serializers.ChoiceField(
        choices=LinkPurpose.choices, default=LinkPurpose.SUCCESS_PLAN, help_text="which page the link opens"
    )
    expires_in_days = serializers.IntegerField(
        min_value=1, max_value=services.MAX_LINK_DAYS, default=services.DEFAULT_LINK_DAYS
    )


class SharedLinkCreatedSerializer(SharedLinkSerializer):
    token = serializers.CharField(read_only=True, help_text="shown this once; only its hash is stored")
    url = serializers.CharField(read_only=True, help_text="the page the customer opens, without a login")

    class Meta(SharedLinkSerializer.Meta):
        fields = [*SharedLinkSerializer.Meta.fields, "token", "url"]
        read_only_fields = fields


class SharedLinkFilter(django_filters.FilterSet):
    account = IdFilter(field_name="account_id")
    purpose = django_filters.ChoiceFilter(choices=LinkPurpose.choices)
    is_live = django_filters.BooleanFilter(method="filter_live", label="neither expired nor revoked (true)")

    class Meta:
        model = SharedLink
        fields = ["account", "purpose", "is_live"]

    def filter_live(self, queryset: QuerySet[SharedLink], name: str, value: bool | None) -> QuerySet[SharedLink]:
        if value is None:
            return queryset
        live = Q(revoked_at__isnull=True, expires_at__gt=timezone.now())
        return queryset.filter(live) if value else queryset.exclude(live)


@extend_schema_view(
    list=extend_schema(responses={200: SharedLinkSerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(responses={200: SharedLinkSerializer, **READ_ERRORS}),
    create=extend_schema(request=SharedLinkCreateSerializer, responses={201: SharedLinkCreatedSerializer, **ERRORS}),
)
class SharedLinkViewSet(mixins.ListModelMixin, WorkspaceViewSet):
    """Read-only links that show the customer one account's plan without a login, until they expire."""

    serializer_class = SharedLinkSerializer
    filterset_class = SharedLinkFilter

    def get_queryset(self) -> QuerySet[SharedLink]:
        if self.schema_only:
            return SharedLink.objects.none()
        return access.scoped(self.member, SharedLink.objects.order_by("-created_at", "-id"))

    def retrieve(self, request: Request, pk: str) -> Response:
        return self.respond(SharedLinkSerializer, access.get_shared_link_for_user(self.member, pk))

    def create(self, request: Request) -> Response:
        member = self.member
        access.require_write(member)
        fields = self.valid(SharedLinkCreateSerializer)
        account = access.get_rw_account_for_user(member, fields["account"].pk)
        link, raw = services.shared_link_create(
            account=account, actor=member, purpose=fields["purpose"], days=fields["expires_in_days"]
        )
        # The customer opens the site's public address, whatever host this request came through.
        link.token = raw  # type: ignore[attr-defined]  # the raw token is shown once, carried on the object for the serializer
        page = reverse("shared-plan", args=[raw], urlconf=settings.ROOT_URLCONF)
        link.url = settings.SITE_URL + page  # type: ignore[attr-defined]  # the link's URL is carried on the object for the serializer
        return self.respond(SharedLinkCreatedSerializer, link, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: SharedLinkSerializer, **ERRORS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def revoke(self, request: Request, pk: str) -> Response:
        """Stop the link working now (revoking a revoked link changes nothing)."""
        link = access.get_rw_shared_link_for_user(self.member, pk)
        services.shared_link_revoke(link=link, actor=self.member)
        return self.respond(SharedLinkSerializer, link)
