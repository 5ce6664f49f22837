"""REST API v1 for business reviews: list, create, update, the status transitions as POST
actions (prepare, refresh, hold, follow-up) and the rendered PDF.

Thin, like retain/api/views.py: objects come through retain.access, writes go through
retain.reports.services. Whoever may edit the account works its review; viewers read.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from retain import access
from retain.accounts.models import Account, Contact
from retain.api.filters import IdFilter
from retain.api.views import ERRORS, READ_ERRORS, WorkspaceViewSet
from retain.reports import render, selectors, services
from retain.reports.choices import Audience, Sentiment
from retain.reports.models import BusinessReview
from retain.tenancy.models import Member


class ReviewSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    pack = serializers.JSONField(read_only=True, help_text="the internal pack: figures with formula, period, source")
    # Blank until the meeting is held: a read-only model field would lose its blank choice.
    sentiment = serializers.CharField(read_only=True, help_text="positive, neutral or negative; blank until held")

    class Meta:
        model = BusinessReview
        fields = [
            "id", "account", "period", "starts_on", "ends_on", "status", "meeting_on", "agenda",
            "attendee_contacts", "attendee_members", "narrative", "proposals", "decisions", "feedback",
            "sentiment", "pack", "pack_built_at", "follow_up", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class ReviewCreateSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.none())
    period = serializers.CharField(max_length=6, help_text='the quarter, like "2026Q4"')
    meeting_on = serializers.DateField(required=False, allow_null=True)
    agenda = serializers.CharField(required=False, allow_blank=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        member = self.context.get("member")
        if member is not None:
            self.fields["account"].queryset = Account.objects.filter(workspace_id=member.workspace_id)  # type: ignore[attr-defined]  # a related field


class ReviewUpdateSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    """Fields left out stay as they are."""

    meeting_on = serializers.DateField(required=False, allow_null=True)
    agenda = serializers.CharField(required=False, allow_blank=True)
    narrative = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)
    proposals = serializers.ListField(child=serializers.DictField(), required=False)


class ReviewHoldSerializer(serializers.Serializer):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    held_on = serializers.DateField()
    contacts = serializers.ListField(child=serializers.IntegerField(), required=False)
    members = serializers.ListField(child=serializers.IntegerField(), required=False)
    decisions = serializers.CharField()
    feedback = serializers.CharField(required=False, allow_blank=True)
    sentiment = serializers.ChoiceField(choices=Sentiment.choices)


class ReviewFilter(django_filters.FilterSet):
    account = IdFilter(field_name="account_id")

    class Meta:
        model = BusinessReview
        fields = ["account", "status", "period"]


@extend_schema_view(
    list=extend_schema(responses={200: ReviewSerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(responses={200: ReviewSerializer, **READ_ERRORS}),
    create=extend_schema(request=ReviewCreateSerializer, responses={201: ReviewSerializer, **ERRORS}),
    partial_update=extend_schema(request=ReviewUpdateSerializer, responses={200: ReviewSerializer, **ERRORS}),
)
class ReviewViewSet(mixins.ListModelMixin, WorkspaceViewSet):
    """Quarterly business reviews: planned → prepared → held → followed up."""

    serializer_class = ReviewSerializer
    filterset_class = ReviewFilter
    http_method_names = ["get", "patch", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[BusinessReview]:
        if self.schema_only:
            return BusinessReview.objects.none()
        return (
            selectors.workspace_reviews(self.member.workspace)
            .prefetch_related("attendee_contacts", "attendee_members")
            .order_by("-starts_on", "id")
        )

    def _detail(self, review: BusinessReview, code: int = 200) -> Response:
        return self.respond(ReviewSerializer, self.get_queryset().get(pk=review.pk), code)

    def retrieve(self, request: Request, pk: str) -> Response:
        return self._detail(access.get_review_for_user(self.member, pk))

    def create(self, request: Request) -> Response:
        member = self.member
        access.require_write(member)
        fields = self.valid(ReviewCreateSerializer)
        account = access.get_rw_account_for_user(member, fields.pop("account").pk)
        review = services.review_create(account=account, actor=member, **fields)
        return self._detail(review, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        member = self.member
        review = access.get_rw_review_for_user(member, pk)
        fields = self.valid(ReviewUpdateSerializer)
        if "meeting_on" in fields or "agenda" in fields:
            services.review_update(
                review=review,
                actor=member,
                meeting_on=fields.get("meeting_on", review.meeting_on),
                agenda=fields.get("agenda", review.agenda),
                contacts=list(review.attendee_contacts.all()),
                members=list(review.attendee_members.all()),
            )
        if "narrative" in fields:
            review = services.review_narrative_update(review=review, actor=member, **fields["narrative"])
        if "proposals" in fields:
            review = services.review_proposals_update(review=review, actor=member, proposals=fields["proposals"])
        return self._detail(review)

    @extend_schema(request=None, responses={200: ReviewSerializer, **ERRORS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def prepare(self, request: Request, pk: str) -> Response:
        """Mark the review prepared (building its pack when it has none)."""
        review = access.get_rw_review_for_user(self.member, pk)
        return self._detail(services.review_prepare(review=review, actor=self.member))

    @extend_schema(request=None, responses={200: ReviewSerializer, **ERRORS})
    @action(detail=True, methods=["post"], filter_backends=[])
    def refresh(self, request: Request, pk: str) -> Response:
        """Re-build the pack's figures (before the review is held)."""
        review = access.get_rw_review_for_user(self.member, pk)
        return self._detail(services.review_draft(review=review, actor=self.member))

    @extend_schema(request=ReviewHoldSerializer, responses={200: ReviewSerializer, **ERRORS})
    @action(detail=True, methods=["post"], serializer_class=ReviewHoldSerializer, filter_backends=[])
    def hold(self, request: Request, pk: str) -> Response:
        """Record the meeting: attendees, decisions, feedback and sentiment (a meeting on the timeline)."""
        member = self.member
        review = access.get_rw_review_for_user(member, pk)
        fields = self.valid(ReviewHoldSerializer)
        contacts = list(Contact.objects.filter(account=review.account, pk__in=fields.get("contacts", [])))
        members = list(Member.objects.filter(workspace_id=review.workspace_id, pk__in=fields.get("members", [])))
        if len(contacts) != len(set(fields.get("contacts", []))):
            raise exceptions.ValidationError({"contacts": ["every id must be a contact of the review's account"]})
        if len(members) != len(set(fields.get("members", []))):
            raise exceptions.ValidationError({"members": ["every id must be a member of this workspace"]})
        review = services.review_hold(
            review=review,
            actor=member,
            held_on=fields["held_on"],
            contacts=contacts,
            members=members,
            decisions=fields["decisions"],
            feedback=fields.get("feedback", ""),
            sentiment=fields["sentiment"],
        )
        return self._detail(review)

    @extend_schema(request=None, responses={200: ReviewSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="follow-up", filter_backends=[])
    def follow_up(self, request: Request, pk: str) -> Response:
        """Write the accepted proposals into the success plan and tasks (once, however often it is called)."""
        review = access.get_rw_review_for_user(self.member, pk)
        return self._detail(services.review_follow_up(review=review, actor=self.member))

    @extend_schema(
        parameters=[OpenApiParameter("audience", str, enum=Audience.values, description="default customer")],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **READ_ERRORS},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def pdf(self, request: Request, pk: str) -> HttpResponse:
        """The pack rendered as PDF (404 until the review has a pack)."""
        review = access.get_review_for_user(self.member, pk)
        if not review.pack:
            raise exceptions.NotFound("the review has no pack yet: prepare it first")
        audience = request.query_params.get("audience", Audience.CUSTOMER)
        if audience not in Audience.values:
            raise exceptions.ValidationError({"audience": [f"must be one of {', '.join(Audience.values)}"]})
        try:
            data = render.pdf(review, audience)
        except render.PdfUnavailable as exc:
            raise exceptions.APIException(str(exc)) from None
        return HttpResponse(data, content_type="application/pdf")
