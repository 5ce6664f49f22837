"""REST API v1 for tasks (calls to action): list (filterable), create, retrieve, update, complete.

Thin, like retain/api/views.py: objects come through retain.access, writes go through
retain.tasks.services. Whoever may edit a task's account works its tasks (a CSM their own book,
managers and admins everything), and a task's owner always works their own task; viewers read.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from retain import access
from retain.accounts.choices import TouchpointKind
from retain.accounts.models import Account
from retain.api.filters import IdFilter
from retain.api.permissions import request_member
from retain.api.serializers import InWorkspace
from retain.api.views import ERRORS, READ_ERRORS, VIA, WorkspaceViewSet
from retain.tasks import selectors, services
from retain.tasks.choices import TaskKind, TaskPriority, TaskSource, TaskStatus
from retain.tasks.models import Task
from retain.tenancy.models import Member

CHECKLIST_HELP = 'ordered [{"text": str, "done": bool}]; a plain string is an unticked item'


class ChecklistItemSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    text = serializers.CharField()
    done = serializers.BooleanField()


class TaskSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    checklist = ChecklistItemSerializer(many=True, read_only=True)
    is_overdue = serializers.SerializerMethodField()
    playbook = serializers.CharField(source="playbook_key", read_only=True, help_text="the playbook that made it")

    class Meta:
        model = Task
        fields = [
            "id", "account", "owner", "kind", "priority", "title", "description", "due_on", "status", "is_overdue",
            "checklist", "source", "source_ref", "playbook", "outcome", "completed_at", "completed_by",
            "escalated_from", "created_by", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_is_overdue(self, task: Task) -> bool:
        return task.is_open and task.due_on < self.context["today"]


class TaskCreateSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    account = InWorkspace(Account)
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=TaskKind.choices, default=TaskKind.OTHER)
    due_on = serializers.DateField()
    owner = InWorkspace(
        Member,
        required=False,
        allow_null=True,
        help_text="you if left out; null = the account's owner, else the workspace's fallback owner",
    )
    priority = serializers.ChoiceField(choices=TaskPriority.choices, default=TaskPriority.NORMAL)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    checklist = serializers.JSONField(required=False, help_text=CHECKLIST_HELP)


class TaskUpdateSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    """Fields left out stay as they are; the checklist, when given, is replaced whole."""

    title = serializers.CharField(max_length=200, required=False)
    kind = serializers.ChoiceField(choices=TaskKind.choices, required=False)
    due_on = serializers.DateField(required=False)
    owner = InWorkspace(
        Member, required=False, allow_null=True, help_text="null = the account's owner, else the fallback owner"
    )
    priority = serializers.ChoiceField(choices=TaskPriority.choices, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    checklist = serializers.JSONField(required=False, help_text=CHECKLIST_HELP)


class TaskCompleteSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    outcome = serializers.CharField(required=False, allow_blank=True, default="", help_text="what came of it")
    log_touchpoint = serializers.ChoiceField(
        choices=TouchpointKind.choices,
        required=False,
        allow_null=True,
        default=None,
        help_text="also log this kind of touchpoint on the account, the outcome as its summary",
    )


class TaskCancelSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class TaskFilter(django_filters.FilterSet):
    account = IdFilter(field_name="account_id")
    owner = IdFilter(field_name="owner_id")
    unassigned = django_filters.BooleanFilter(field_name="owner", lookup_expr="isnull", label="no owner (true)")
    status = django_filters.ChoiceFilter(choices=TaskStatus.choices)
    kind = django_filters.ChoiceFilter(choices=TaskKind.choices)
    priority = django_filters.ChoiceFilter(choices=TaskPriority.choices)
    source = django_filters.ChoiceFilter(choices=TaskSource.choices)
    due_before = django_filters.DateFilter(field_name="due_on", lookup_expr="lt", label="due before this day")
    due_after = django_filters.DateFilter(field_name="due_on", lookup_expr="gt", label="due after this day")
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", label="open and due before today in the workspace time zone (true), or not (false)"
    )

    class Meta:
        model = Task
        fields = ["account", "owner", "status", "kind", "priority", "source"]

    def filter_overdue(self, queryset: QuerySet[Task], name: str, value: bool | None) -> QuerySet[Task]:
        if value is None:
            return queryset
        today = selectors.task_today(request_member(self.request).workspace)
        overdue = {"status": TaskStatus.OPEN, "due_on__lt": today}
        return queryset.filter(**overdue) if value else queryset.exclude(**overdue)


@extend_schema_view(
    list=extend_schema(responses={200: TaskSerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(responses={200: TaskSerializer, **READ_ERRORS}),
    create=extend_schema(request=TaskCreateSerializer, responses={201: TaskSerializer, **ERRORS}),
    partial_update=extend_schema(request=TaskUpdateSerializer, responses={200: TaskSerializer, **ERRORS}),
)
class TaskViewSet(mixins.ListModelMixin, WorkspaceViewSet):
    """Calls to action on accounts, by due day: made by hand or by a playbook, done with an outcome."""

    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Task]:
        if self.schema_only:
            return Task.objects.none()
        return selectors.workspace_tasks(self.member.workspace).order_by("due_on", "id")

    def retrieve(self, request: Request, pk: str) -> Response:
        return self.respond(TaskSerializer, access.get_task_for_user(self.member, pk))

    def create(self, request: Request) -> Response:
        member = self.member
        access.require_write(member)
        fields: dict[str, Any] = self.valid(TaskCreateSerializer)
        account: Account = fields.pop("account")
        if not access.can_edit_account(member, account):
            raise exceptions.PermissionDenied(f"You can read account {account.pk} but not change it")
        fields.setdefault("owner", member)
        task = services.task_create(account=account, actor=member, via=VIA, **fields)
        return self.respond(TaskSerializer, task, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        member = self.member
        task = access.get_rw_task_for_user(member, pk)
        fields = self.valid(TaskUpdateSerializer)
        services.task_update(task=task, actor=member, via=VIA, **fields)
        return self.respond(TaskSerializer, access.get_task_for_user(member, task.pk))

    @extend_schema(request=TaskCompleteSerializer, responses={200: TaskSerializer, **ERRORS})
    @action(detail=True, methods=["post"], serializer_class=TaskCompleteSerializer, filter_backends=[])
    def complete(self, request: Request, pk: str) -> Response:
        """Mark the task done with its outcome; writes the account timeline (and a touchpoint when asked)."""
        member = self.member
        task = access.get_rw_task_for_user(member, pk)
        fields = self.valid(TaskCompleteSerializer)
        services.task_complete(
            task=task, actor=member, via=VIA, outcome=fields["outcome"], log_touchpoint=fields["log_touchpoint"]
        )
        return self.respond(TaskSerializer, access.get_task_for_user(member, task.pk))

    @extend_schema(request=TaskCancelSerializer, responses={200: TaskSerializer, **ERRORS})
    @action(detail=True, methods=["post"], serializer_class=TaskCancelSerializer, filter_backends=[])
    def cancel(self, request: Request, pk: str) -> Response:
        """Drop a task that no longer needs doing; the reason is kept as its outcome."""
        member = self.member
        task = access.get_rw_task_for_user(member, pk)
        fields = self.valid(TaskCancelSerializer)
        services.task_cancel(task=task, actor=member, via=VIA, reason=fields["reason"])
        return self.respond(TaskSerializer, access.get_task_for_user(member, task.pk))

    @extend_schema(request=None, responses={200: TaskSerializer, **ERRORS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def reopen(self, request: Request, pk: str) -> Response:
        """Open a done or cancelled task again."""
        member = self.member
        task = access.get_rw_task_for_user(member, pk)
        services.task_reopen(task=task, actor=member, via=VIA)
        return self.respond(TaskSerializer, access.get_task_for_user(member, task.pk))
