"""The demo's survey history: a year of NPS and CSAT answers that follow the hidden engagement."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from retain.accounts.choices import EntryKind
from retain.accounts.figures import Filters, Period
from retain.accounts.models import Contact, TimelineEntry
from retain.demo.generator import STEPS, build_demo, demo_delete
from retain.demo.generator.context import DemoContext
from retain.surveys.choices import ResponseSource, SurveyKind
from retain.surveys.measures import survey_measures
from retain.surveys.models import Invitation, Response, Survey
from retain.surveys.selectors import audience_contacts
from retain.surveys.services import invitations_plan

# Its module-scoped fixture is built once: the module's tests share one xdist worker (--dist loadgroup).
pytestmark = pytest.mark.xdist_group("test_demo_surveys")

TODAY = dt.date(2026, 11, 20)
NEEDED = ("team", "accounts and subscriptions", "survey history")


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[DemoContext]:
    """The steps the survey history needs, for enough accounts to count on (900: about 70 answers
    from accounts that later churned, so the detractor comparison is not two dozen answers)."""
    with django_db_blocker.unblock():
        ctx = build_demo(seed=5, size=900, today=TODAY, steps=[s for s in STEPS if s.name in NEEDED])
        yield ctx
        demo_delete()


@pytest.fixture
def nps(demo: DemoContext, db: None) -> Survey:
    return Survey.objects.get(workspace=demo.ws, kind=SurveyKind.NPS)


@pytest.fixture
def csat(demo: DemoContext, db: None) -> Survey:
    return Survey.objects.get(workspace=demo.ws, kind=SurveyKind.CSAT)


def test_a_relationship_nps_and_a_support_csat_are_defined(nps: Survey, csat: Survey) -> None:
    assert (nps.schedule_kind, nps.schedule_days) == ("recurring", 182)
    assert set(nps.roles) == {"champion", "decision_maker", "executive_sponsor"}
    assert csat.schedule_kind == "after_event"


def test_a_year_of_answers_with_a_plausible_response_rate(demo: DemoContext, nps: Survey, csat: Survey) -> None:
    year = Period(TODAY - dt.timedelta(days=364), TODAY, demo.ws.time_zone)
    for survey in (nps, csat):
        measures = survey_measures(demo.ws, year, Filters(survey=survey))
        assert measures.response_rate.value is not None
        assert 28 <= measures.response_rate.value <= 48, survey.name
    answered = Response.objects.filter(workspace=demo.ws, survey=nps).values_list("answered_at", flat=True)
    months = {(a.year, a.month) for a in answered}
    assert len(months) >= 10
    assert -10 <= survey_measures(demo.ws, year, Filters(survey=nps)).nps.value <= 50  # type: ignore[operator]  # the demo has NPS answers, so the value is a number


def test_every_answer_is_to_a_sent_invitation_and_many_carry_a_comment(demo: DemoContext) -> None:
    responses = Response.objects.filter(workspace=demo.ws)
    assert not responses.filter(invitation__isnull=True).exists()
    assert set(responses.values_list("source", flat=True)) == {ResponseSource.DEMO}
    assert not Invitation.objects.filter(workspace=demo.ws).exclude(status="sent").exists()
    with_comment = responses.exclude(comment="").count()
    assert 0.25 < with_comment / responses.count() < 0.7
    assert responses.exclude(comment="").values("comment").distinct().count() > 20


def test_detractors_are_more_common_among_accounts_that_churned(demo: DemoContext, nps: Survey) -> None:
    churned = {a.external_id for a in demo.world.accounts if a.churned_on is not None}
    shares: dict[bool, Counter[str]] = {True: Counter(), False: Counter()}
    for external_id, category in Response.objects.filter(survey=nps).values_list("account__external_id", "category"):
        shares[external_id in churned][category] += 1

    def detractor_share(counts: Counter[str]) -> float:
        return counts["detractor"] / sum(counts.values())

    assert sum(shares[True].values()) >= 10
    assert detractor_share(shares[True]) > detractor_share(shares[False]) + 0.1


def test_scores_follow_the_hidden_engagement_at_the_answer_date(demo: DemoContext, nps: Survey) -> None:
    plans = {a.external_id: a for a in demo.world.accounts}
    low: list[int] = []
    high: list[int] = []
    for external_id, score, answered_at in Response.objects.filter(survey=nps).values_list(
        "account__external_id", "score", "answered_at"
    ):
        engagement = plans[external_id].latent_on(answered_at.date())
        (low if engagement < -0.5 else high if engagement > 0.5 else []).append(score)
    assert statistics.mean(high) > statistics.mean(low) + 2


def test_no_stored_survey_field_holds_the_churn_flag_or_the_engagement() -> None:
    for model in (Survey, Invitation, Response):
        names = {f.name for f in model._meta.get_fields()}
        assert not {n for n in names if "churn" in n or "latent" in n or "engagement" in n}, model.__name__


def test_contacts_keep_their_latest_nps_answer(demo: DemoContext, nps: Survey) -> None:
    latest: dict[int, Response] = {}
    for response in Response.objects.filter(survey=nps).order_by("answered_at", "id"):
        latest[response.contact_id] = response
    contacts = Contact.objects.filter(workspace=demo.ws, nps_answered_at__isnull=False)
    assert contacts.count() == len(latest)
    for contact in contacts:
        answer = latest[contact.pk]
        assert (contact.nps_score, contact.nps_category, contact.nps_answered_at) == (
            answer.score,
            answer.category,
            answer.answered_at,
        )


def test_every_answer_and_every_unhappy_answer_is_on_the_timeline(demo: DemoContext) -> None:
    entries = Counter(TimelineEntry.objects.filter(workspace=demo.ws).values_list("kind", flat=True))
    responses = Response.objects.filter(workspace=demo.ws)
    assert entries[EntryKind.SURVEY_ANSWERED] == responses.count()
    assert entries[EntryKind.DETRACTOR_ANSWERED] == responses.filter(survey__kind="nps", score__lte=6).count()
    assert entries[EntryKind.LOW_CSAT_ANSWERED] == responses.filter(survey__kind="csat", score__lte=2).count()


def test_the_first_sweep_after_the_build_asks_only_the_few_nobody_asked_yet(demo: DemoContext, nps: Survey) -> None:
    now = dt.datetime.combine(TODAY, dt.time(12), tzinfo=dt.UTC)
    audience = audience_contacts(nps, today=TODAY).count()
    with transaction.atomic():
        planned = invitations_plan(survey=nps, now=now)
        transaction.set_rollback(True)

    assert audience > 100
    assert planned < 0.1 * audience
