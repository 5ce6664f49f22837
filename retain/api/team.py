"""REST API v1 for the team: the coverage model, assignments, balancing plans, hand-offs from sales,
cadence, account groups, stakeholder maps, and a member's notifications.

Thin, like retain/api/views.py: objects come through retain.access (outsiders 404), writes go
through retain.team.services (errors name the field; YAML problems name line and column). The
coverage model, reassigning and balancing are for managers and admins (others 403); a hand-off,
a group link and a stakeholder follow the account (a CSM their own book); a notification is only
ever its member's own. Lists answer CSV too (`?format=csv`).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, mixins, serializers
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from retain import access
from retain.accounts.choices import ContactRole
from retain.accounts.models import Account, Contact
from retain.accounts.selectors import workspace_today
from retain.accounts.services import contact_update
from retain.api.csv import LIST_RENDERERS, wants_csv
from retain.api.serializers import InWorkspace, count_of
from retain.api.views import ERRORS, READ_ERRORS, VIA, WorkspaceViewSet
from retain.lib.definitions import DefinitionError
from retain.team import notifications, selectors, services
from retain.team.choices import CadenceStatus, HandoffSource, Influence, Sentiment
from retain.team.coverage import DEFAULT_SOURCE
from retain.team.models import Assignment, BalancePlan, CoverageModel, Handoff, Notification
from retain.tenancy.access import require_manager
from retain.tenancy.models import Member


class ListViewSet(WorkspaceViewSet):
    """A viewset whose reads also answer CSV (a list whole, not one page); writes and errors are JSON."""

    renderer_classes = LIST_RENDERERS

    def get_renderers(self) -> list[BaseRenderer]:
        if self.request is not None and self.request.method not in ("GET", "HEAD"):
            return [JSONRenderer()]
        return super().get_renderers()

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        if wants_csv(self.request):
            self.request.accepted_renderer = JSONRenderer()
            self.request.accepted_media_type = JSONRenderer.media_type
        return response

    def page(self, queryset: QuerySet[Any] | list[Any], serializer_class: type[BaseSerializer[Any]]) -> Response:
        rows = self.paginate_queryset(queryset)  # checks limit and offset, CSV or not
        if wants_csv(self.request):
            return Response(serializer_class(queryset, many=True, context=self.get_serializer_context()).data)
        data = serializer_class(rows, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)


# The coverage model --------------------------------------------------------------------------------


class CoverageSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    source = serializers.CharField(  # type: ignore[assignment]  # a field named like Field.source; DRF allows it
        max_length=50_000, trim_whitespace=False, help_text="the YAML, as the coverage page edits it"
    )
    definition = serializers.JSONField(read_only=True, help_text="the cleaned data read from the YAML")
    is_default = serializers.BooleanField(read_only=True, help_text="true: nothing saved yet, the seeds' model")
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)


class AssignmentSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    class Meta:
        model = Assignment
        fields = ["id", "account", "owner", "previous_owner", "via", "reason", "actor", "created_at"]
        read_only_fields = fields


class ReassignSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    accounts = serializers.ListField(child=InWorkspace(Account), min_length=1, max_length=500)
    owner = InWorkspace(
        Member,
        required=False,
        allow_null=True,
        help_text="the CSM to give them to (a reason is then required); left out: by the coverage model",
    )
    reason = serializers.CharField(max_length=400, required=False, allow_blank=True, default="")


class CadenceSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    account = serializers.IntegerField(source="account_id")
    status = serializers.ChoiceField(choices=CadenceStatus.choices)
    expected = serializers.SerializerMethodField(help_text="what the coverage model expects, in words")
    every_days = serializers.SerializerMethodField()
    last_touch = serializers.DateField(allow_null=True)
    days_since = serializers.IntegerField(allow_null=True)
    due_on = serializers.DateField(allow_null=True)
    overdue_days = serializers.IntegerField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_expected(self, row: selectors.CadenceRow) -> str:
        return row.expected.describe() if row.expected else "no cadence for this stage"

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_every_days(self, row: selectors.CadenceRow) -> int | None:
        return row.expected.every_days if row.expected else None


OVERDUE = (CadenceStatus.OVERDUE, CadenceStatus.NEVER)


@extend_schema_view(
    coverage=extend_schema(request=CoverageSerializer, responses={200: CoverageSerializer, **ERRORS}),
    assignments=extend_schema(
        parameters=[OpenApiParameter("account", int, description="one account's assignments")],
        responses={200: AssignmentSerializer(many=True), **READ_ERRORS},
    ),
    reassign=extend_schema(request=ReassignSerializer, responses={200: AssignmentSerializer(many=True), **ERRORS}),
    cadence=extend_schema(
        parameters=[
            OpenApiParameter("owner", int, description="one CSM's book"),
            OpenApiParameter("all", bool, description="true: every account, not only the overdue"),
        ],
        responses={200: CadenceSerializer(many=True), **READ_ERRORS},
    ),
)
class TeamViewSet(ListViewSet):
    """The team's workspace-wide resources."""

    serializer_class = CoverageSerializer
    filter_backends: list[Any] = []

    def _coverage(self) -> dict[str, Any]:
        saved = CoverageModel.objects.filter(workspace=self.member.workspace).first()
        return {
            "source": saved.source if saved else DEFAULT_SOURCE,
            "definition": saved.definition if saved else {},
            "is_default": saved is None,
            "updated_at": saved.updated_at if saved else None,
        }

    @action(detail=False, methods=["get", "put"])
    def coverage(self, request: Request) -> Response:
        """The coverage model's YAML; PUT replaces it (managers and admins), refused whole with each
        problem as coverage.yaml:line:column."""
        member = self.member
        if request.method == "PUT":
            require_manager(member)
            fields = self.valid(CoverageSerializer)
            try:
                services.coverage_save(
                    workspace=member.workspace, actor=member, source=fields["source"].replace("\r\n", "\n")
                )
            except DefinitionError as error:
                raise exceptions.ValidationError({"source": error.lines}) from error
        return self.respond(CoverageSerializer, self._coverage())

    @action(detail=False, methods=["get"], serializer_class=AssignmentSerializer)
    def assignments(self, request: Request) -> Response:
        """Every decision that gave an account an owner, newest first, each with its reason."""
        rows = access.scoped(self.member, Assignment.objects.all())
        account = request.query_params.get("account")
        if account is not None:
            if not account.isdigit():
                raise exceptions.ValidationError({"account": ["must be an account id"]})
            rows = rows.filter(account_id=int(account))
        return self.page(rows.order_by("-created_at", "-id"), AssignmentSerializer)

    @action(detail=False, methods=["post"], serializer_class=ReassignSerializer)
    def reassign(self, request: Request) -> Response:
        """Give accounts a new owner: to a named CSM by hand (with a reason), or by the coverage model
        (kind, capacity, rules, round-robin). Managers and admins."""
        member = self.member
        require_manager(member)
        fields = self.valid(ReassignSerializer)
        accounts = list(fields["accounts"])
        if fields.get("owner") is not None:
            made = services.accounts_give(
                workspace=member.workspace, accounts=accounts, owner=fields["owner"], actor=member,
                reason=fields["reason"],
            )  # fmt: skip
        else:
            made = services.accounts_assign(workspace=member.workspace, accounts=accounts, actor=member)
        return Response(AssignmentSerializer(made, many=True).data)

    @action(detail=False, methods=["get"], serializer_class=CadenceSerializer)
    def cadence(self, request: Request) -> Response:
        """Accounts overdue their touch cadence (or never touched), most overdue first; ?all=true for
        every live account, ?owner= for one CSM's book."""
        member = self.member
        owner = None
        raw = request.query_params.get("owner")
        if raw is not None:
            if not raw.isdigit():
                raise exceptions.ValidationError({"owner": ["must be a member id"]})
            owner = access.get_member_for_user(member, int(raw))
        rows = list(selectors.workspace_cadence(member.workspace, owner=owner).values())
        if request.query_params.get("all") not in ("true", "1"):
            rows = [r for r in rows if r.status in OVERDUE]
        rows.sort(key=lambda r: (-r.overdue_days, r.account_id))
        return self.page(rows, CadenceSerializer)


# Balancing plans -----------------------------------------------------------------------------------


class BalanceMoveSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    id = serializers.IntegerField()
    account = serializers.IntegerField(source="account_id")
    from_owner = serializers.IntegerField(source="from_owner_id")
    to_owner = serializers.IntegerField(source="to_owner_id")
    why = serializers.CharField()
    included = serializers.BooleanField()


class BookFiguresSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    accounts = serializers.IntegerField()
    arr = serializers.DecimalField(max_digits=16, decimal_places=2)
    red = serializers.IntegerField()
    renewals_90d = serializers.IntegerField()


class BalancePreviewRowSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    member = serializers.IntegerField(source="member.pk")
    name = serializers.CharField(source="member.display_name")
    max_accounts = serializers.IntegerField(allow_null=True)
    max_arr = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    before = BookFiguresSerializer()
    after = BookFiguresSerializer()
    within_capacity_after = serializers.BooleanField()


class BalancePlanSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    moves = BalanceMoveSerializer(many=True, read_only=True)

    class Meta:
        model = BalancePlan
        fields = ["id", "status", "unmet", "created_by", "created_at", "applied_at", "applied_by", "moves"]
        read_only_fields = fields


class BalancePlanPreviewSerializer(BalancePlanSerializer):
    preview = BalancePreviewRowSerializer(many=True, read_only=True, help_text="before/after per CSM")

    class Meta(BalancePlanSerializer.Meta):
        fields = [*BalancePlanSerializer.Meta.fields, "preview"]
        read_only_fields = fields


class BalanceAppliedSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    moved = serializers.IntegerField()
    skipped = serializers.ListField(child=serializers.CharField())
    plan = BalancePlanSerializer()


@extend_schema_view(
    list=extend_schema(responses={200: BalancePlanSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: BalancePlanPreviewSerializer, **ERRORS}),
    create=extend_schema(request=None, responses={201: BalancePlanPreviewSerializer, **ERRORS}),
    apply=extend_schema(request=None, responses={200: BalanceAppliedSerializer, **ERRORS}),
)
class BalancePlanViewSet(ListViewSet):
    """A manager's balancing proposals: propose, preview (before/after per CSM), apply."""

    serializer_class = BalancePlanSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[BalancePlan]:
        if self.schema_only:
            return BalancePlan.objects.none()
        return access.scoped(self.member, BalancePlan.objects.prefetch_related("moves"))

    def _with_preview(self, plan: BalancePlan) -> Response:
        workspace = self.member.workspace
        moves = [(m.account_id, m.from_owner_id, m.to_owner_id) for m in plan.moves.all() if m.included]
        rows = selectors.preview(
            workspace,
            selectors.team_csms(workspace),
            selectors.account_facts(workspace),
            moves,
            selectors.coverage_of(workspace),
        )
        data = BalancePlanSerializer(plan, context=self.get_serializer_context()).data
        data["preview"] = BalancePreviewRowSerializer(rows, many=True).data
        return Response(data)

    def list(self, request: Request) -> Response:
        require_manager(self.member)
        return self.page(self.get_queryset(), BalancePlanSerializer)

    def retrieve(self, request: Request, pk: str) -> Response:
        return self._with_preview(access.get_rw_balance_plan_for_user(self.member, pk))

    def create(self, request: Request) -> Response:
        member = self.member
        require_manager(member)
        plan = services.plan_propose(workspace=member.workspace, actor=member)
        response = self._with_preview(BalancePlan.objects.prefetch_related("moves").get(pk=plan.pk))
        response.status_code = 201
        return response

    @action(detail=True, methods=["post"])
    def apply(self, request: Request, pk: str) -> Response:
        """Apply the plan's included moves (open tasks and renewals go with each account)."""
        member = self.member
        plan = access.get_rw_balance_plan_for_user(member, pk)
        applied = services.plan_apply(plan=plan, actor=member)
        plan = BalancePlan.objects.prefetch_related("moves").get(pk=plan.pk)
        done = {"moved": applied.moved, "skipped": applied.skipped, "plan": plan}
        return Response(BalanceAppliedSerializer(done).data)


# Hand-offs from sales ---------------------------------------------------------------------------------


class HandoffSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    class Meta:
        model = Handoff
        fields = [
            "id", "account", "sold", "goals", "stakeholders", "promises", "risks", "closed_on", "source",
            "created_by", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class HandoffCreateSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    account = InWorkspace(Account)
    sold = serializers.CharField(help_text="what was sold")
    closed_on = serializers.DateField(required=False, allow_null=True, help_text="the close day (today if left out)")
    goals = serializers.JSONField(required=False, help_text="the customer's stated goals: [str]")
    stakeholders = serializers.JSONField(required=False, help_text='[{"name", "email", "role"}]')
    promises = serializers.JSONField(required=False, help_text='promised features or dates: [{"what", "by"}]')
    risks = serializers.JSONField(required=False, help_text="[str]")
    source = serializers.ChoiceField(choices=HandoffSource.choices, default=HandoffSource.API)  # type: ignore[assignment]  # a field named like Field.source; DRF allows it


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("account", int, description="one account's hand-off")],
        responses={200: HandoffSerializer(many=True), **READ_ERRORS},
    ),
    create=extend_schema(request=HandoffCreateSerializer, responses={201: HandoffSerializer, **ERRORS}),
)
class HandoffViewSet(ListViewSet):
    """What sales handed over when the deal closed; recording one seeds the account's plans."""

    serializer_class = HandoffSerializer
    filter_backends: list[Any] = []

    def list(self, request: Request) -> Response:
        rows = access.scoped(self.member, Handoff.objects.all()).order_by("-created_at", "-id")
        account = request.query_params.get("account")
        if account is not None:
            if not account.isdigit():
                raise exceptions.ValidationError({"account": ["must be an account id"]})
            rows = rows.filter(account_id=int(account))
        return self.page(rows, HandoffSerializer)

    def create(self, request: Request) -> Response:
        member = self.member
        if not member.can_write:
            raise exceptions.PermissionDenied("Viewers read hand-offs but do not record them")
        fields = self.valid(HandoffCreateSerializer)
        account = access.get_rw_account_for_user(member, fields.pop("account").pk)
        handoff = services.handoff_record(account=account, actor=member, **fields)
        return self.respond(HandoffSerializer, handoff, 201)


# An account's cadence, group and stakeholders ---------------------------------------------------------


class GroupAccountSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    account = serializers.IntegerField(source="account.pk")
    name = serializers.CharField(source="account.name")
    arr = serializers.DecimalField(max_digits=16, decimal_places=2)
    band = serializers.CharField(allow_null=True)
    score = serializers.FloatField(allow_null=True)
    open_renewals = serializers.IntegerField()


class FigureSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    value = serializers.FloatField(allow_null=True)
    formula = serializers.CharField()
    inputs = serializers.DictField()
    worked = serializers.CharField()


class GroupSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    parent = serializers.IntegerField(  # type: ignore[assignment]  # a field named like Field.parent; DRF allows it
        allow_null=True, help_text="the group's parent; null: the account stands alone"
    )
    arr = serializers.DecimalField(max_digits=16, decimal_places=2, help_text="the group's ARR, rolled up")
    open_renewals = serializers.IntegerField()
    health = FigureSerializer(allow_null=True, help_text="ARR-weighted health of the group, with its formula")
    worst_band = serializers.CharField(allow_null=True)
    accounts = GroupAccountSerializer(many=True, help_text="the parent first, then its subsidiaries")


class ParentSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    parent = InWorkspace(Account, help_text="the account this one becomes a subsidiary of")  # type: ignore[assignment]  # a field named like Field.parent; DRF allows it


class StakeholderSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    contact = serializers.IntegerField(source="contact.pk")
    name = serializers.CharField(source="contact.__str__")
    role = serializers.CharField(source="contact.role")
    influence = serializers.ChoiceField(choices=Influence.choices)
    sentiment = serializers.ChoiceField(choices=Sentiment.choices)
    is_executive_sponsor = serializers.BooleanField(source="is_sponsor")
    last_contact = serializers.DateTimeField(allow_null=True)


class StakeholderMapSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    stakeholders = StakeholderSerializer(many=True, source="rows")
    gaps = serializers.ListField(child=serializers.CharField(), help_text="what the map lacks, in words")


class StakeholderUpdateSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    contact = InWorkspace(Contact)
    role = serializers.ChoiceField(choices=ContactRole.choices, required=False, help_text="the contact's role")
    influence = serializers.ChoiceField(choices=Influence.choices, required=False)
    sentiment = serializers.ChoiceField(choices=Sentiment.choices, required=False)
    is_executive_sponsor = serializers.BooleanField(required=False)


@extend_schema_view(
    cadence=extend_schema(responses={200: CadenceSerializer, **READ_ERRORS}),
    group=extend_schema(responses={200: GroupSerializer, **READ_ERRORS}),
    parent=extend_schema(request=ParentSerializer, responses={200: GroupSerializer, **ERRORS}),
    stakeholders=extend_schema(
        request=StakeholderUpdateSerializer, responses={200: StakeholderMapSerializer, **ERRORS}
    ),
)
class AccountTeamViewSet(WorkspaceViewSet):
    """/accounts/{id}/cadence/, /group/, /parent/ and /stakeholders/ (the rest is AccountViewSet)."""

    filter_backends: list[Any] = []
    serializer_class = GroupSerializer

    def get_queryset(self) -> QuerySet[Account]:
        if self.schema_only:
            return Account.objects.none()
        return access.scoped(self.member, Account.objects.all())

    @action(detail=True, methods=["get"], serializer_class=CadenceSerializer)
    def cadence(self, request: Request, pk: str) -> Response:
        """The account's last touch against the cadence its tier expects in its stage."""
        account = access.get_account_for_user(self.member, pk)
        rows = selectors.cadence_rows(
            account.workspace,
            [(account.pk, account.tier, account.stage, account.customer_since)],
            selectors.coverage_of(account.workspace),
            workspace_today(account.workspace),
        )
        return Response(CadenceSerializer(rows[account.pk]).data)

    def _group(self, account: Account) -> Response:
        group = selectors.group_of(account)
        if group is None:
            data: dict[str, Any] = {
                "parent": None, "arr": account.arr, "open_renewals": 0, "health": None, "worst_band": None,
                "accounts": [],
            }  # fmt: skip
        else:
            data = {
                "parent": group.parent.pk,
                "arr": group.arr,
                "open_renewals": group.open_renewals,
                "health": group.health,
                "worst_band": group.worst_band,
                "accounts": group.members,
            }
        return Response(GroupSerializer(data).data)

    @action(detail=True, methods=["get"], serializer_class=GroupSerializer)
    def group(self, request: Request, pk: str) -> Response:
        """The group the account heads or belongs to, with ARR, health and renewals rolled up."""
        return self._group(access.get_account_for_user(self.member, pk))

    @action(detail=True, methods=["put", "delete"], serializer_class=ParentSerializer)
    def parent(self, request: Request, pk: str) -> Response:
        """PUT makes the account a subsidiary of `parent`; DELETE takes it out of its group. Whoever
        may edit both accounts."""
        member = self.member
        child = access.get_rw_account_for_user(member, pk)
        if request.method == "DELETE":
            services.subsidiary_unlink(child=child, actor=member)
        else:
            fields = self.valid(ParentSerializer)
            parent = access.get_rw_account_for_user(member, fields["parent"].pk)
            services.subsidiary_link(parent=parent, child=child, actor=member)
        return self._group(child)

    @action(detail=True, methods=["get", "patch"], serializer_class=StakeholderUpdateSerializer)
    def stakeholders(self, request: Request, pk: str) -> Response:
        """The stakeholder map (contacts by influence, sentiment, last contact, the sponsor) and its
        gaps; PATCH places one contact (role on the map, influence, sentiment, sponsor)."""
        member = self.member
        account = access.get_account_for_user(member, pk)
        if request.method == "PATCH":
            account = access.get_rw_account_for_user(member, pk)
            fields = self.valid(StakeholderUpdateSerializer)
            contact = fields.pop("contact")
            if contact.account_id != account.pk:
                raise exceptions.ValidationError({"contact": [f"belongs to another account than {account.pk}"]})
            with transaction.atomic():
                if "role" in fields:
                    contact_update(contact=contact, actor=member, via=VIA, role=fields.pop("role"))
                services.stakeholder_set(contact=contact, actor=member, **fields)
        return Response(StakeholderMapSerializer(selectors.stakeholder_map(account)).data)


# Notifications -------------------------------------------------------------------------------------


class NotificationSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "text", "account", "task", "actor", "created_at", "read_at", "is_read"]
        read_only_fields = fields


class MarkReadSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    ids = serializers.ListField(
        child=count_of(Notification, "id", min_value=1), required=False, max_length=500,
        help_text="the notifications to mark read; left out: all of yours",
    )  # fmt: skip


class MarkedSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    marked = serializers.IntegerField()
    unread = serializers.IntegerField()


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("unread", OpenApiTypes.BOOL, description="true: the unread only")],
        responses={200: NotificationSerializer(many=True), **READ_ERRORS},
    ),
    read=extend_schema(request=MarkReadSerializer, responses={200: MarkedSerializer, **ERRORS}),
)
class NotificationViewSet(ListViewSet, mixins.ListModelMixin):
    """Your notifications (only ever your own, whoever you are), newest first; mark them read."""

    serializer_class = NotificationSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Notification]:
        if self.schema_only:
            return Notification.objects.none()
        return notifications.for_member(self.member)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rows = self.get_queryset()
        unread = request.query_params.get("unread")
        if unread is not None:
            if unread not in ("true", "false"):
                raise exceptions.ValidationError({"unread": ["must be true or false"]})
            rows = rows.filter(read_at__isnull=unread == "true")
        return self.page(rows, NotificationSerializer)

    @action(detail=False, methods=["post"], serializer_class=MarkReadSerializer)
    def read(self, request: Request) -> Response:
        """Mark notifications read: the ids given (each must be yours), or all of them."""
        member = self.member
        fields = self.valid(MarkReadSerializer)
        ids = fields.get("ids")
        if ids is not None:
            mine = set(self.get_queryset().filter(pk__in=ids).values_list("pk", flat=True))
            unknown = sorted(set(ids) - mine)
            if unknown:
                raise exceptions.ValidationError({"ids": [f"no notification of yours with id {unknown[0]}"]})
        marked = notifications.mark_read(member=member, ids=ids)
        return Response(MarkedSerializer({"marked": marked, "unread": notifications.unread_count(member)}).data)
