"""REST API v1 for the team's reports: education attendance (list, and the attendee CSV import),
time in stage, and portfolio targets (list with progress and trend; managers set and remove them).

Thin, like retain/api/views.py: rows come scoped to the token's workspace, writes go through
retain.team.education and retain.team.targets. Importing attendees needs write access (viewers 403);
targets are set by managers and admins.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from retain import access
from retain.accounts.models import Account
from retain.accounts.selectors import workspace_today
from retain.api.filters import IdFilter
from retain.api.views import ERRORS, READ_ERRORS, WorkspaceSchema, WorkspaceViewSet
from retain.team import education, stages, targets
from retain.team.choices import LearningKind, TargetFigure
from retain.team.models import Learning, PortfolioTarget

# Education ---------------------------------------------------------------------------------------


class LearningSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    contact_email = serializers.SerializerMethodField()

    class Meta:
        model = Learning
        fields = ["id", "account", "contact", "contact_email", "person", "kind", "session", "day", "source"]
        read_only_fields = fields

    def get_contact_email(self, obj: Learning) -> str:
        return obj.contact.email if obj.contact else ""


class LearningFilter(django_filters.FilterSet):
    account = IdFilter(field_name="account_id")
    kind = django_filters.ChoiceFilter(choices=LearningKind.choices)
    since = django_filters.DateFilter(field_name="day", lookup_expr="gte")
    until = django_filters.DateFilter(field_name="day", lookup_expr="lte")

    class Meta:
        model = Learning
        fields = ["account", "kind", "since", "until"]


class AttendeeImportSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    csv = serializers.CharField(
        max_length=5_000_000, trim_whitespace=False, help_text="the CSV text: columns email, session, kind, date"
    )
    filename = serializers.CharField(max_length=200, required=False, default="attendees.csv")


class AttendeeImportResultSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    rows = serializers.IntegerField()
    created = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    accounts = serializers.IntegerField()


@extend_schema_view(list=extend_schema(responses={200: LearningSerializer(many=True), **READ_ERRORS}))
class LearningViewSet(mixins.ListModelMixin, WorkspaceViewSet):
    """Training sessions, webinars and bootcamps attended, and knowledge-base articles viewed."""

    serializer_class = LearningSerializer
    filterset_class = LearningFilter

    def get_queryset(self) -> QuerySet[Learning]:
        if self.schema_only:
            return Learning.objects.none()
        return access.scoped(self.member, Learning.objects.select_related("contact")).order_by("-day", "id")

    @extend_schema(request=AttendeeImportSerializer, responses={201: AttendeeImportResultSerializer, **ERRORS})
    @action(detail=False, methods=["post"], url_path="import", url_name="import")
    def import_csv(self, request: Request) -> Response:
        """Import a CSV of attendees: every row, or none when one is wrong (errors as file:line:column)."""
        member = self.member
        access.require_write(member)
        fields: dict[str, Any] = self.valid(AttendeeImportSerializer)
        result = education.attendees_import(
            workspace=member.workspace, actor=member, text=fields["csv"], filename=fields["filename"]
        )
        return self.respond(AttendeeImportResultSerializer, result, status.HTTP_201_CREATED)


# Time in stage -----------------------------------------------------------------------------------


class StageCellSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    stage = serializers.CharField()
    tier = serializers.CharField()
    accounts = serializers.IntegerField()
    known = serializers.IntegerField(help_text="accounts with a known stage start")
    median = serializers.IntegerField(allow_null=True, help_text="days, nearest rank")
    p75 = serializers.IntegerField(allow_null=True, help_text="days, nearest rank")
    expected = serializers.IntegerField(allow_null=True, help_text="expected days in this stage")
    over = serializers.IntegerField(help_text="accounts over the expected days")


class StageOverSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    account_id = serializers.IntegerField()
    name = serializers.CharField()
    tier = serializers.CharField()
    stage = serializers.CharField()
    owner = serializers.CharField()
    entered_on = serializers.DateField()
    days = serializers.IntegerField()
    expected = serializers.IntegerField()
    over_by = serializers.IntegerField()


class TimeInStageSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    today = serializers.DateField()
    accounts = serializers.IntegerField()
    unknown = serializers.IntegerField()
    cells = StageCellSerializer(many=True)
    over = StageOverSerializer(many=True)
    expected_days = serializers.JSONField(help_text="{stage: {tier: days}}")


class ReportSchema(WorkspaceSchema):
    """A report answered at the collection's address: one object, not a paged list of them."""

    def _is_list_view(self, serializer: Any = None) -> bool:
        return False


class TimeInStageViewSet(WorkspaceViewSet):
    serializer_class = TimeInStageSerializer
    pagination_class = None  # type: ignore[assignment]  # one report, never paged
    schema = ReportSchema()

    def get_queryset(self) -> QuerySet[Account]:
        if self.schema_only:
            return Account.objects.none()
        return access.scoped(self.member, Account.objects.all())

    @extend_schema(responses={200: TimeInStageSerializer, **READ_ERRORS})
    def list(self, request: Request) -> Response:
        """Accounts by lifecycle stage and tier: median and p75 days in stage, and those over the expected days."""
        workspace = self.member.workspace
        report = stages.time_in_stage(workspace, today=workspace_today(workspace))
        data = {
            "today": report.today,
            "accounts": report.accounts,
            "unknown": report.unknown,
            "cells": report.cells,
            "over": report.over,
            "expected_days": {row["stage"]: row["days"] for row in report.expected},
        }
        return self.respond(TimeInStageSerializer, data)


# Targets -----------------------------------------------------------------------------------------


class PointSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    day = serializers.DateField()
    value = serializers.FloatField(allow_null=True)


class TargetSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    id = serializers.IntegerField(source="target.pk")
    figure = serializers.CharField(source="target.figure")
    start_on = serializers.DateField(source="target.start_on")
    start = serializers.FloatField(source="target.start_value", allow_null=True, help_text="a fraction: 0.34 is 34%")
    current = serializers.FloatField(source="current.value", allow_null=True)
    target = serializers.FloatField(source="target.target_value")
    due_on = serializers.DateField(source="target.due_on")
    note = serializers.CharField(source="target.note")
    progress_pct = serializers.FloatField(source="progress", allow_null=True, help_text="% of the way from start")
    expected_now = serializers.FloatField(source="expected", allow_null=True)
    on_track = serializers.BooleanField(allow_null=True)
    reached = serializers.BooleanField(allow_null=True)
    formula = serializers.CharField(source="current.formula")
    worked = serializers.CharField(source="current.worked")
    history = PointSerializer(many=True, help_text="weekly points, oldest first")


class TargetSetSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    figure = serializers.ChoiceField(choices=TargetFigure.choices)
    target = serializers.CharField(max_length=12, help_text="in %, e.g. 25 or 120")
    due_on = serializers.DateField()
    start = serializers.CharField(max_length=12, required=False, allow_blank=True, help_text="in %; default: today's")
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


@extend_schema_view(
    list=extend_schema(responses={200: TargetSerializer(many=True), **READ_ERRORS}),
    create=extend_schema(request=TargetSetSerializer, responses={201: TargetSerializer, **ERRORS}),
    destroy=extend_schema(responses={204: None, **ERRORS}),
)
class PortfolioTargetViewSet(WorkspaceViewSet):
    """Targets on portfolio figures with start, current, progress and the weekly trend."""

    serializer_class = TargetSerializer
    pagination_class = None  # type: ignore[assignment]  # a handful of targets, one per figure: never paged

    def get_queryset(self) -> QuerySet[PortfolioTarget]:
        if self.schema_only:
            return PortfolioTarget.objects.none()
        return access.scoped(self.member, PortfolioTarget.objects.all())

    def list(self, request: Request) -> Response:
        workspace = self.member.workspace
        views = targets.workspace_targets(workspace, today=workspace_today(workspace))
        return Response(TargetSerializer(views, many=True).data)

    def create(self, request: Request) -> Response:
        """Set (or change) the target on a figure. Managers and admins."""
        member = self.member
        access.require_manager(member)
        fields: dict[str, Any] = self.valid(TargetSetSerializer)
        today: dt.date = workspace_today(member.workspace)
        saved = targets.target_set(
            workspace=member.workspace,
            actor=member,
            figure=fields["figure"],
            target_pct=fields["target"],
            due_on=fields["due_on"],
            today=today,
            note=fields.get("note", ""),
            start_pct=fields.get("start"),
        )
        return Response(TargetSerializer(targets.target_view(saved, today=today)).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, pk: str) -> Response:
        member = self.member
        target = access.get_for_member(member, PortfolioTarget.objects.all(), pk)
        access.require_manager(member)
        targets.target_delete(target=target, actor=member)
        return Response(status=status.HTTP_204_NO_CONTENT)
