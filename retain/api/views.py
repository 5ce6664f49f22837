"""REST API v1 endpoints: thin. They resolve objects through retain.access and write through services.

Every change passes `via="api"` so the account timeline says where it came from. Who may change
what is retain.access's rule: managers and admins everything in the workspace, a CSM its own book
(the accounts it owns and their contacts, subscriptions and touchpoints), viewers nothing.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import Resolver404, resolve
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from retain import access
from retain.accounts import services
from retain.accounts.models import Account, Contact, Segment, Subscription, TimelineEntry, Touchpoint
from retain.accounts.segments import CHOICE_FIELDS, NO_OWNER, clean_criteria
from retain.accounts.selectors import (
    DEFAULT_SORT,
    SORTS,
    accounts_annotated,
    accounts_matching,
    segment_accounts,
    workspace_today,
)
from retain.api import serializers as s
from retain.api.filters import IdFilter
from retain.api.permissions import WORKSPACE_HEADER, request_member
from retain.api.query import Pages
from retain.journeys.services import lifecycle_move
from retain.surveys import selectors as survey_selectors
from retain.surveys import services as survey_services
from retain.surveys.choices import ResponseSource
from retain.surveys.models import Response as SurveyResponse
from retain.surveys.models import Survey
from retain.tenancy.models import Member
from retain.tenancy.services import member_update

VIA = "api"
# 415: a body in a media type the API does not read (JSON, a form or multipart).
ERRORS = {code: s.ErrorsSerializer for code in (400, 401, 403, 404, 415)}
# A malformed filter or page answers 400 on reads too.
READ_ERRORS = {code: s.ErrorsSerializer for code in (400, 401, 404)}


class WorkspaceSchema(AutoSchema):
    """Documents how a logged-in browser session names its workspace (a token needs nothing)."""

    def get_override_parameters(self) -> list[Any]:
        workspace = OpenApiParameter(
            WORKSPACE_HEADER,
            str,
            OpenApiParameter.HEADER,
            description="the workspace slug, for session (cookie) requests only; "
            "a token always acts in its own member's workspace. `?workspace=` works too.",
        )
        return [*super().get_override_parameters(), workspace]


class WorkspaceViewSet(viewsets.GenericViewSet):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    """A viewset acting as `self.member`, the member IsWorkspaceMember resolved for the request."""

    pagination_class = Pages
    schema = WorkspaceSchema()

    @property
    def member(self) -> Member:
        return request_member(self.request)

    @property
    def schema_only(self) -> bool:
        """True while drf-spectacular inspects the view, without a real request behind it."""
        return getattr(self, "swagger_fake_view", False)

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        if not self.schema_only:
            context["member"] = self.member
            context["today"] = workspace_today(self.member.workspace)
        return context

    def respond(self, serializer_class: type[BaseSerializer[Any]], instance: Any, code: int = 200) -> Response:
        return Response(serializer_class(instance, context=self.get_serializer_context()).data, status=code)

    def valid(self, serializer_class: type[BaseSerializer[Any]], instance: Any = None) -> dict[str, Any]:
        serializer = serializer_class(
            instance, data=self.request.data, partial=instance is not None, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def page(self, queryset: QuerySet[Any], serializer_class: type[BaseSerializer[Any]]) -> Response:
        rows = self.paginate_queryset(queryset)
        data = serializer_class(rows, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)


def _require_account_rw(member: Member, account: Account) -> None:
    if not access.can_edit_account(member, account):
        raise exceptions.PermissionDenied(f"You can read account {account.pk} but not change it")


# Accounts ----------------------------------------------------------------------------------------

MULTI_CRITERIA = (*CHOICE_FIELDS, "owner", "industry")
SINGLE_CRITERIA = ("q", "renewal_within_days", "arr_min", "arr_max", "in_stage_days_min")
ACCOUNT_FILTERS = [
    OpenApiParameter("q", str, description="name, domain or external id contains"),
    *(
        OpenApiParameter(name, str, many=True, enum=choices.values, description=f"one or more {name}s")
        for name, choices in CHOICE_FIELDS.items()
    ),
    OpenApiParameter("owner", str, many=True, description=f"one or more member ids, or {NO_OWNER!r}"),
    OpenApiParameter("industry", str, many=True, description="one or more industries"),
    OpenApiParameter("renewal_within_days", int, description="next renewal within this many days"),
    OpenApiParameter("arr_min", OpenApiTypes.DECIMAL, description="ARR at least, workspace currency"),
    OpenApiParameter("arr_max", OpenApiTypes.DECIMAL, description="ARR at most, workspace currency"),
    OpenApiParameter("in_stage_days_min", int, description="in the current lifecycle stage at least this many days"),
    OpenApiParameter("sort", str, enum=list(SORTS), description=f"order of the list (default {DEFAULT_SORT})"),
]


def account_criteria(params: Any) -> tuple[dict[str, Any], str]:
    """The accounts-list filters from query parameters, cleaned; errors name the parameter."""
    raw: dict[str, Any] = {name: params.getlist(name) for name in MULTI_CRITERIA if name in params}
    raw.update({name: params.get(name) for name in SINGLE_CRITERIA if name in params})
    sort = params.get("sort") or DEFAULT_SORT
    errors: dict[str, Any] = {}
    if sort not in SORTS:
        errors["sort"] = [f"must be one of {', '.join(SORTS)}"]
    try:
        criteria = clean_criteria(raw)
    except DjangoValidationError as exc:
        errors.update(exc.message_dict)
        criteria = {}
    if errors:
        raise exceptions.ValidationError(errors)
    return criteria, sort


@extend_schema_view(
    list=extend_schema(parameters=ACCOUNT_FILTERS, responses={200: s.AccountSerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(responses={200: s.AccountDetailSerializer, **READ_ERRORS}),
    create=extend_schema(request=s.AccountSerializer, responses={201: s.AccountDetailSerializer, **ERRORS}),
    partial_update=extend_schema(
        request=s.AccountUpdateSerializer, responses={200: s.AccountDetailSerializer, **ERRORS}
    ),
)
class AccountViewSet(WorkspaceViewSet):
    """Customer accounts with their revenue, next renewal and last touchpoint."""

    serializer_class = s.AccountSerializer
    filter_backends: list[Any] = []  # the accounts-list criteria below are the filters

    def get_queryset(self) -> QuerySet[Account]:
        if self.schema_only:
            return Account.objects.none()
        return accounts_annotated(self.member.workspace)

    def _detail(self, pk: object) -> Response:
        return self.respond(s.AccountDetailSerializer, access.get_for_member(self.member, self.get_queryset(), pk))

    def list(self, request: Request) -> Response:
        criteria, sort = account_criteria(request.query_params)
        today = workspace_today(self.member.workspace)
        return self.page(
            accounts_matching(self.member.workspace, criteria, sort=sort, today=today), s.AccountSerializer
        )

    def retrieve(self, request: Request, pk: str) -> Response:
        return self._detail(pk)

    def create(self, request: Request) -> Response:
        member = self.member
        access.require_write(member)
        fields = self.valid(s.AccountSerializer)
        if not member.can_manage:
            # A CSM adds accounts to its own book only.
            fields.setdefault("owner", member)
            if fields["owner"] != member:
                raise exceptions.PermissionDenied("A CSM can only add accounts to its own book")
        account = services.account_create(workspace=member.workspace, actor=member, via=VIA, **fields)
        response = self._detail(account.pk)
        response.status_code = status.HTTP_201_CREATED
        return response

    def partial_update(self, request: Request, pk: str) -> Response:
        member = self.member
        account = access.get_rw_account_for_user(member, pk)
        fields = self.valid(s.AccountUpdateSerializer, account)
        if "owner" in fields and fields["owner"] != account.owner and not member.can_manage:
            raise exceptions.PermissionDenied("Only managers and admins can move an account to another book")
        reason = fields.pop("reason", "")
        stage = fields.pop("stage", account.stage)
        with transaction.atomic():
            if stage != account.stage:
                # A new stage is a lifecycle move, recorded with its reason like one made on the page.
                lifecycle_move(account=account, actor=member, stage=stage, reason=reason, via=VIA)
            services.account_update(account=account, actor=member, via=VIA, reason=reason, **fields)
        return self._detail(account.pk)

    @extend_schema(responses={200: s.TimelineEntrySerializer(many=True), **READ_ERRORS})
    @action(detail=True, methods=["get"], serializer_class=s.TimelineEntrySerializer)
    def timeline(self, request: Request, pk: str) -> Response:
        """The account's history, newest first: every change, touchpoint and renewal window."""
        account = access.get_account_for_user(self.member, pk)
        entries = TimelineEntry.objects.filter(account=account).select_related("actor__user")
        return self.page(entries.order_by("-occurred_at", "-id"), s.TimelineEntrySerializer)


# Contacts ----------------------------------------------------------------------------------------


class ContactFilter(django_filters.FilterSet):
    account = IdFilter(field_name="account_id")

    class Meta:
        model = Contact
        fields = ["account", "role", "status"]


@extend_schema_view(
    list=extend_schema(responses={200: s.ContactSerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(responses={200: s.ContactSerializer, **READ_ERRORS}),
    create=extend_schema(responses={201: s.ContactSerializer, **ERRORS}),
    partial_update=extend_schema(responses={200: s.ContactSerializer, **ERRORS}),
)
class ContactViewSet(mixins.ListModelMixin, WorkspaceViewSet):
    """People at customer accounts and the part they play (champion, sponsor, …)."""

    serializer_class = s.ContactSerializer
    filterset_class = ContactFilter

    def get_queryset(self) -> QuerySet[Contact]:
        if self.schema_only:
            return Contact.objects.none()
        return access.scoped(self.member, Contact.objects.order_by("last_name", "first_name", "email", "id"))

    def retrieve(self, request: Request, pk: str) -> Response:
        return self.respond(s.ContactSerializer, access.get_contact_for_user(self.member, pk))

    def create(self, request: Request) -> Response:
        member = self.member
        access.require_write(member)
        fields = self.valid(s.ContactSerializer)
        account = fields.pop("account")
        _require_account_rw(member, account)
        contact = services.contact_create(account=account, actor=member, via=VIA, **fields)
        return self.respond(s.ContactSerializer, contact, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        member = self.member
        contact = access.get_rw_contact_for_user(member, pk)
        fields = self.valid(s.ContactSerializer, contact)
        account = fields.pop("account", None)
        if account is not None:
            _require_account_rw(member, account)
        services.contact_update(contact=contact, actor=member, via=VIA, account=account, **fields)
        return self.respond(s.ContactSerializer, access.get_contact_for_user(member, pk))


# Subscriptions -----------------------------------------------------------------------------------


class SubscriptionFilter(django_filters.FilterSet):
    account = IdFilter(field_name="account_id")

    class Meta:
        model = Subscription
        fields = ["account", "status"]


@extend_schema_view(
    list=extend_schema(responses={200: s.SubscriptionSerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(responses={200: s.SubscriptionSerializer, **READ_ERRORS}),
    create=extend_schema(responses={201: s.SubscriptionSerializer, **ERRORS}),
)
class SubscriptionViewSet(mixins.ListModelMixin, WorkspaceViewSet):
    """What accounts buy. Changes are dated movements (POST …/change/), the ledger MRR history comes from."""

    serializer_class = s.SubscriptionSerializer
    filterset_class = SubscriptionFilter

    def get_queryset(self) -> QuerySet[Subscription]:
        if self.schema_only:
            return Subscription.objects.none()
        return access.scoped(self.member, Subscription.objects.order_by("term_end", "id"))

    def retrieve(self, request: Request, pk: str) -> Response:
        return self.respond(s.SubscriptionSerializer, access.get_subscription_for_user(self.member, pk))

    def create(self, request: Request) -> Response:
        member = self.member
        access.require_write(member)
        fields = self.valid(s.SubscriptionSerializer)
        account = fields.pop("account")
        _require_account_rw(member, account)
        subscription = services.subscription_create(account=account, actor=member, via=VIA, **fields)
        return self.respond(s.SubscriptionSerializer, subscription, status.HTTP_201_CREATED)

    @extend_schema(
        request=s.SubscriptionChangeSerializer, responses={200: s.SubscriptionChangeResultSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"], serializer_class=s.SubscriptionChangeSerializer)
    def change(self, request: Request, pk: str) -> Response:
        """Record a dated change of MRR, seats, product or term end; MRR 0 churns, MRR > 0 reactivates."""
        member = self.member
        subscription = access.get_rw_subscription_for_user(member, pk)
        fields = self.valid(s.SubscriptionChangeSerializer)
        movement = services.subscription_change(subscription=subscription, actor=member, via=VIA, **fields)
        result = {"subscription": subscription, "movement": movement}
        return self.respond(s.SubscriptionChangeResultSerializer, result)

    @extend_schema(responses={200: s.MovementSerializer(many=True), **READ_ERRORS})
    @action(detail=True, methods=["get"], serializer_class=s.MovementSerializer, filter_backends=[])
    def movements(self, request: Request, pk: str) -> Response:
        """The subscription's ledger: every dated change of MRR, seats and product, oldest first."""
        subscription = access.get_subscription_for_user(self.member, pk)
        return self.page(subscription.movements.order_by("effective_on", "id"), s.MovementSerializer)


# Touchpoints -------------------------------------------------------------------------------------


class TouchpointFilter(django_filters.FilterSet):
    account = IdFilter(field_name="account_id")
    member = IdFilter(field_name="member_id")
    occurred_after = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = Touchpoint
        fields = ["account", "member", "kind", "occurred_after", "occurred_before"]


@extend_schema_view(
    list=extend_schema(responses={200: s.TouchpointSerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(responses={200: s.TouchpointSerializer, **READ_ERRORS}),
    create=extend_schema(responses={201: s.TouchpointSerializer, **ERRORS}),
)
class TouchpointViewSet(mixins.ListModelMixin, WorkspaceViewSet):
    """Calls, meetings, e-mails and notes with customers, newest first."""

    serializer_class = s.TouchpointSerializer
    filterset_class = TouchpointFilter

    def get_queryset(self) -> QuerySet[Touchpoint]:
        if self.schema_only:
            return Touchpoint.objects.none()
        rows = Touchpoint.objects.prefetch_related("contacts").order_by("-occurred_at", "-id")
        return access.scoped(self.member, rows)

    def retrieve(self, request: Request, pk: str) -> Response:
        return self.respond(s.TouchpointSerializer, access.get_for_member(self.member, self.get_queryset(), pk))

    def create(self, request: Request) -> Response:
        member = self.member
        access.require_write(member)
        fields = self.valid(s.TouchpointSerializer)
        account = fields.pop("account")
        _require_account_rw(member, account)
        touchpoint = services.touchpoint_log(account=account, actor=member, via=VIA, **fields)
        return self.respond(s.TouchpointSerializer, touchpoint, status.HTTP_201_CREATED)


# Segments ----------------------------------------------------------------------------------------


def _segment_criteria(criteria: Any) -> dict[str, Any]:
    """Criteria checked here first so that their errors are named `criteria.<criterion>`."""
    try:
        return clean_criteria(criteria)
    except DjangoValidationError as exc:
        named = {key if key == "criteria" else f"criteria.{key}": value for key, value in exc.message_dict.items()}
        raise exceptions.ValidationError(named) from None


@extend_schema_view(
    list=extend_schema(responses={200: s.SegmentSerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(responses={200: s.SegmentSerializer, **READ_ERRORS}),
    create=extend_schema(responses={201: s.SegmentSerializer, **ERRORS}),
    partial_update=extend_schema(responses={200: s.SegmentSerializer, **ERRORS}),
    destroy=extend_schema(responses={204: None, **ERRORS}),
)
class SegmentViewSet(mixins.ListModelMixin, WorkspaceViewSet):
    """Saved account filters, re-evaluated on every use. Their author or a manager may change them."""

    serializer_class = s.SegmentSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Segment]:
        if self.schema_only:
            return Segment.objects.none()
        return access.scoped(self.member, Segment.objects.order_by("name", "id"))

    def retrieve(self, request: Request, pk: str) -> Response:
        return self.respond(s.SegmentSerializer, access.get_segment_for_user(self.member, pk))

    def create(self, request: Request) -> Response:
        member = self.member
        access.require_write(member)
        fields = self.valid(s.SegmentSerializer)
        criteria = _segment_criteria(fields.get("criteria", {}))
        segment = services.segment_create(
            workspace=member.workspace, actor=member, name=fields["name"], criteria=criteria
        )
        return self.respond(s.SegmentSerializer, segment, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        segment = access.get_rw_segment_for_user(self.member, pk)
        fields = self.valid(s.SegmentSerializer, segment)
        criteria = _segment_criteria(fields["criteria"]) if "criteria" in fields else None
        services.segment_update(segment=segment, name=fields.get("name"), criteria=criteria)
        return self.respond(s.SegmentSerializer, segment)

    def destroy(self, request: Request, pk: str) -> Response:
        services.segment_delete(segment=access.get_rw_segment_for_user(self.member, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: s.AccountSerializer(many=True), **READ_ERRORS})
    @action(detail=True, methods=["get"], serializer_class=s.AccountSerializer)
    def accounts(self, request: Request, pk: str) -> Response:
        """The segment's accounts as of now, sorted by name."""
        segment = access.get_segment_for_user(self.member, pk)
        return self.page(segment_accounts(segment, today=workspace_today(self.member.workspace)), s.AccountSerializer)


# Members -----------------------------------------------------------------------------------------


class MemberFilter(django_filters.FilterSet):
    class Meta:
        model = Member
        fields = ["role", "csm_kind", "is_active"]


@extend_schema_view(
    list=extend_schema(responses={200: s.MemberSerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(responses={200: s.MemberSerializer, **READ_ERRORS}),
    partial_update=extend_schema(responses={200: s.MemberSerializer, **ERRORS}),
)
class MemberViewSet(mixins.ListModelMixin, WorkspaceViewSet):
    """The workspace's people: everyone reads the list; managers change CSM kind and capacity, admins
    also roles and access (the web's rules, kept in tenancy.services.member_update)."""

    serializer_class = s.MemberSerializer
    filterset_class = MemberFilter

    def get_queryset(self) -> QuerySet[Member]:
        if self.schema_only:
            return Member.objects.none()
        return access.scoped(self.member, Member.objects.select_related("user").order_by("user__email", "id"))

    def retrieve(self, request: Request, pk: str) -> Response:
        return self.respond(s.MemberSerializer, access.get_member_for_user(self.member, pk))

    def partial_update(self, request: Request, pk: str) -> Response:
        member = self.member
        access.require_manager(member)
        target = access.get_member_for_user(member, pk)
        fields = self.valid(s.MemberSerializer, target)
        # The service holds the rules the web page follows too: roles and access are the admins'.
        member_update(actor=member, member=target, **fields)
        return self.respond(s.MemberSerializer, target)


# Surveys -----------------------------------------------------------------------------------------


class SurveyFilter(django_filters.FilterSet):
    class Meta:
        model = Survey
        fields = ["kind", "schedule_kind", "is_active"]


@extend_schema_view(
    list=extend_schema(responses={200: s.SurveySerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(responses={200: s.SurveySerializer, **READ_ERRORS}),
    create=extend_schema(responses={201: s.SurveySerializer, **ERRORS}),
    partial_update=extend_schema(responses={200: s.SurveySerializer, **ERRORS}),
)
class SurveyViewSet(mixins.ListModelMixin, WorkspaceViewSet):
    """NPS and CSAT surveys: who is asked, when, and how often at most. Managers and admins define them."""

    serializer_class = s.SurveySerializer
    filterset_class = SurveyFilter

    def get_queryset(self) -> QuerySet[Survey]:
        if self.schema_only:
            return Survey.objects.none()
        return survey_selectors.workspace_surveys(self.member.workspace)

    def retrieve(self, request: Request, pk: str) -> Response:
        return self.respond(s.SurveySerializer, access.get_for_member(self.member, self.get_queryset(), pk))

    def create(self, request: Request) -> Response:
        member = self.member
        access.require_manager(member)
        fields = self.valid(s.SurveySerializer)
        survey = survey_services.survey_create(workspace=member.workspace, actor=member, **fields)
        return self.respond(s.SurveySerializer, survey, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        member = self.member
        survey = access.get_for_member(member, self.get_queryset(), pk)
        access.require_manager(member)
        fields = self.valid(s.SurveySerializer, survey)
        survey_services.survey_update(survey=survey, **fields)
        return self.respond(s.SurveySerializer, survey)


class SurveyResponseFilter(django_filters.FilterSet):
    survey = IdFilter(field_name="survey_id")
    account = IdFilter(field_name="account_id")
    contact = IdFilter(field_name="contact_id")
    answered_after = django_filters.IsoDateTimeFilter(field_name="answered_at", lookup_expr="gte")
    answered_before = django_filters.IsoDateTimeFilter(field_name="answered_at", lookup_expr="lt")

    class Meta:
        model = SurveyResponse
        fields = ["survey", "account", "contact", "category", "source", "answered_after", "answered_before"]


@extend_schema_view(
    list=extend_schema(responses={200: s.SurveyResponseSerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(responses={200: s.SurveyResponseSerializer, **READ_ERRORS}),
    create=extend_schema(responses={201: s.SurveyResponseSerializer, **ERRORS}),
)
class SurveyResponseViewSet(mixins.ListModelMixin, WorkspaceViewSet):
    """Answers to surveys, newest first. Recording one lands on the contact and the account timeline."""

    serializer_class = s.SurveyResponseSerializer
    filterset_class = SurveyResponseFilter

    def get_queryset(self) -> QuerySet[SurveyResponse]:
        if self.schema_only:
            return SurveyResponse.objects.none()
        return survey_selectors.workspace_responses(self.member.workspace)

    def retrieve(self, request: Request, pk: str) -> Response:
        return self.respond(s.SurveyResponseSerializer, access.get_for_member(self.member, self.get_queryset(), pk))

    def create(self, request: Request) -> Response:
        member = self.member
        access.require_write(member)
        fields = self.valid(s.SurveyResponseSerializer)
        contact = fields.pop("contact")
        _require_account_rw(member, contact.account)
        answer = survey_services.response_record(contact=contact, source=ResponseSource.API, actor=member, **fields)
        return self.respond(s.SurveyResponseSerializer, answer, status.HTTP_201_CREATED)


# Anything else under /api/v1/ ----------------------------------------------------------------------


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@permission_classes([permissions.AllowAny])
def not_found(request: Request, rest: str = "") -> Response:
    """Unknown paths answer with the API's JSON 404, not the web site's HTML page."""
    hint = ""
    if not request.path.endswith("/"):
        try:
            resolve(request.path + "/")
            hint = "; API paths end with a slash"
        except Resolver404:
            pass
    raise exceptions.NotFound(f"No such endpoint{hint}")
