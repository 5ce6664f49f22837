"""Survey measures, checked against figures worked out by hand."""

from __future__ import annotations

import datetime as dt
import itertools
import math

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from retain.accounts import services as account_services
from retain.accounts.figures import Filters, Period
from retain.accounts.models import Account, Contact
from retain.surveys import services
from retain.surveys.choices import InvitationStatus
from retain.surveys.measures import (
    account_voice,
    commented_responses,
    measures_by,
    measures_trend,
    survey_measures,
)
from retain.surveys.models import Invitation, Response, Survey
from retain.tenancy.models import Member, Workspace

PERIOD = Period(dt.date(2026, 1, 1), dt.date(2026, 6, 30))
_emails = itertools.count(1)


def at(day: str, hour: int = 12) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=dt.UTC)


def person(account: Account) -> Contact:
    return account_services.contact_create(
        account=account, actor=None, via="test", email=f"p{next(_emails)}@{account.domain or 'x.example'}"
    )


def answer(survey: Survey, account: Account, score: int, day: str = "2026-03-10", comment: str = "") -> Response:
    return services.response_record(
        survey=survey, contact=person(account), score=score, comment=comment, answered_at=at(day), source="web"
    )


def invite(survey: Survey, account: Account, day: str = "2026-03-01", answered_with: int | None = None) -> Invitation:
    contact = person(account)
    invitation = Invitation.objects.create(
        workspace=survey.workspace,
        survey=survey,
        account=account,
        contact=contact,
        occurrence=f"test:{contact.pk}",
        due_at=at(day),
        status=InvitationStatus.SENT,
        sent_at=at(day),
    )
    if answered_with is not None:
        services.response_record(
            survey=survey,
            contact=contact,
            score=answered_with,
            answered_at=at(day) + dt.timedelta(days=2),
            source="email",
            invitation=invitation,
        )
    return invitation


@pytest.fixture
def initech(workspace: Workspace, dave: Member) -> Account:
    """A community account in Dave's book."""
    return account_services.account_create(
        workspace=workspace, actor=None, via="test", name="Initech", domain="initech.example", tier="community",
        owner=dave,
    )  # fmt: skip


# One slice -----------------------------------------------------------------------------------------


def test_a_tier_with_scores_10_9_7_3_has_nps_25_and_its_standard_error(nps: Survey, account: Account) -> None:
    for score in (10, 9, 7, 3):
        answer(nps, account, score)

    measures = survey_measures(nps.workspace, PERIOD, Filters(tier="enterprise"))

    # p = 2/4, d = 1/4: NPS = 100 (0.5 − 0.25) = 25; var = (0.75 − 0.25²) 100² = 6875; SE = √(6875 / 4).
    assert measures.nps.value == pytest.approx(25)
    assert measures.nps_standard_error.value == pytest.approx(math.sqrt(6875 / 4))  # 41.46
    assert measures.nps_n == 4
    assert measures.nps.inputs == {"promoters": 2, "passives": 1, "detractors": 1, "n": 4}
    assert measures.nps.worked == "NPS = %promoters − %detractors = 50% − 25% = 25 (n = 4)"
    assert "= 41.5 points" in measures.nps_standard_error.worked


def test_the_distribution_counts_every_score_of_the_scale(nps: Survey, csat: Survey, account: Account) -> None:
    for score in (10, 10, 9, 0):
        answer(nps, account, score)
    answer(csat, account, 4)

    measures = survey_measures(nps.workspace, PERIOD)

    assert measures.nps_distribution == (1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2)
    assert measures.distribution("nps")[10] == (10, 2)
    assert measures.distribution("csat") == [(1, 0), (2, 0), (3, 0), (4, 1), (5, 0)]


def test_csat_counts_the_share_of_answers_above_3_5(csat: Survey, account: Account) -> None:
    for score in (5, 4, 3, 2, 4):
        answer(csat, account, score)

    measures = survey_measures(csat.workspace, PERIOD, Filters(survey=csat))

    assert measures.csat.value == pytest.approx(60)
    assert measures.csat.worked == "% CSAT > 3.5 = 3 / 5 = 60%"
    assert measures.nps.value is None and measures.nps.worked == "NPS = no answers"


def test_response_rate_is_answers_to_invitations_sent_in_the_period(nps: Survey, account: Account) -> None:
    invite(nps, account, answered_with=9)
    invite(nps, account, answered_with=4)
    invite(nps, account)
    invite(nps, account)
    invite(nps, account, day="2025-12-20", answered_with=10)  # sent before the period
    Invitation.objects.create(
        workspace=nps.workspace, survey=nps, account=account, contact=person(account), occurrence="x",
        due_at=at("2026-03-01"), status=InvitationStatus.SKIPPED,
    )  # fmt: skip

    measures = survey_measures(nps.workspace, PERIOD)

    assert (measures.invitations_sent, measures.invitations_answered) == (4, 2)
    assert measures.response_rate.value == pytest.approx(50)
    assert measures.response_rate.worked == "Response rate = 2 / 4 = 50%"


def test_nothing_sent_leaves_the_response_rate_undefined(nps: Survey, account: Account) -> None:
    answer(nps, account, 9)

    assert survey_measures(nps.workspace, PERIOD).response_rate.value is None


def test_the_period_is_calendar_days_in_the_workspace_time_zone(
    workspace: Workspace, nps: Survey, account: Account
) -> None:
    workspace.time_zone = "Europe/Zagreb"
    workspace.save()
    june_30_late = dt.datetime(2026, 6, 30, 21, 30, tzinfo=dt.UTC)  # 23:30 in Zagreb: inside
    july_1_early = dt.datetime(2026, 6, 30, 22, 30, tzinfo=dt.UTC)  # 00:30 on 1 July in Zagreb: outside
    for instant, score in ((june_30_late, 10), (july_1_early, 0)):
        services.response_record(survey=nps, contact=person(account), score=score, answered_at=instant, source="web")

    period = Period(dt.date(2026, 6, 1), dt.date(2026, 6, 30), "Europe/Zagreb")

    assert survey_measures(workspace, period).nps_distribution[10] == 1
    assert survey_measures(workspace, period).nps_n == 1


def test_filters_keep_only_their_answers(
    workspace: Workspace, nps: Survey, csat: Survey, account: Account, initech: Account, carol: Member
) -> None:
    answer(nps, account, 10)
    answer(nps, initech, 0)
    answer(csat, initech, 5)
    segment = account_services.segment_create(
        workspace=workspace, actor=None, name="Community", criteria={"tier": ["community"]}
    )

    assert survey_measures(workspace, PERIOD, Filters(owner=carol)).nps.value == 100
    assert survey_measures(workspace, PERIOD, Filters(account=initech)).nps.value == -100
    assert survey_measures(workspace, PERIOD, Filters(segment=segment)).n == 2
    assert survey_measures(workspace, PERIOD, Filters(survey=csat)).n == 1
    assert survey_measures(workspace, PERIOD, Filters(tier="strategic")).n == 0


def test_another_workspaces_answers_never_count(
    workspace: Workspace, other_workspace: Workspace, nps: Survey, account: Account
) -> None:
    theirs = account_services.account_create(workspace=other_workspace, actor=None, via="test", name="Umbrella")
    their_survey = services.survey_create(
        workspace=other_workspace, actor=None, name="NPS", kind="nps", schedule_kind="manual"
    )
    answer(their_survey, theirs, 0)
    answer(nps, account, 9)

    assert survey_measures(workspace, PERIOD).nps.value == 100


# Breakdowns and trends ---------------------------------------------------------------------------


def test_the_breakdown_by_tier_gives_each_tier_its_own_figures(
    workspace: Workspace, nps: Survey, account: Account, initech: Account
) -> None:
    for score in (10, 9, 7, 3):
        answer(nps, account, score)
    answer(nps, initech, 2)
    invite(nps, initech)

    groups = {g.key: g for g in measures_by(workspace, PERIOD, "tier")}

    assert groups["enterprise"].label == "Enterprise"
    assert groups["enterprise"].measures.nps.value == pytest.approx(25)
    assert groups["community"].measures.nps.value == pytest.approx(-100)
    assert groups["community"].measures.response_rate.value == 0


def test_the_breakdown_by_csm_names_the_owner(
    workspace: Workspace, nps: Survey, account: Account, initech: Account, carol: Member, dave: Member
) -> None:
    answer(nps, account, 10)
    answer(nps, initech, 6)

    groups = {g.label: g.measures.nps.value for g in measures_by(workspace, PERIOD, "owner")}

    assert groups == {carol.display_name: 100, dave.display_name: -100}


def test_the_breakdown_by_segment_counts_an_account_in_each_of_its_segments(
    workspace: Workspace, nps: Survey, account: Account
) -> None:
    answer(nps, account, 10)
    for name in ("Enterprise", "All"):
        criteria = {"tier": ["enterprise"]} if name == "Enterprise" else {}
        account_services.segment_create(workspace=workspace, actor=None, name=name, criteria=criteria)

    groups = {g.label: g.measures.n for g in measures_by(workspace, PERIOD, "segment")}

    assert groups == {"All": 1, "Enterprise": 1}


def test_the_grouped_view_takes_the_same_queries_for_one_account_or_many(
    workspace: Workspace, nps: Survey, account: Account, initech: Account
) -> None:
    answer(nps, account, 9)
    invite(nps, account, answered_with=8)
    with CaptureQueriesContext(connection) as few:
        assert len(measures_by(workspace, PERIOD, "account")) == 1

    for index in range(6):
        extra = account_services.account_create(workspace=workspace, actor=None, via="test", name=f"Extra {index}")
        answer(nps, extra, index)
        invite(nps, extra, answered_with=10)
    answer(nps, initech, 3)
    with CaptureQueriesContext(connection) as many:
        assert len(measures_by(workspace, PERIOD, "account")) == 8

    assert len(many.captured_queries) == len(few.captured_queries) == 3


def test_the_monthly_trend_has_every_month_of_the_period(workspace: Workspace, nps: Survey, account: Account) -> None:
    answer(nps, account, 10, day="2026-01-31")
    answer(nps, account, 0, day="2026-03-01")
    answer(nps, account, 9, day="2026-03-15")
    invite(nps, account, day="2026-03-02")

    points = measures_trend(workspace, PERIOD, grain="month")

    assert [p.start for p in points] == [dt.date(2026, month, 1) for month in range(1, 7)]
    assert [p.measures.nps.value for p in points] == [100, None, 0, None, None, None]
    assert points[2].measures.invitations_sent == 1


def test_the_weekly_trend_starts_weeks_on_monday(workspace: Workspace, nps: Survey, account: Account) -> None:
    answer(nps, account, 10, day="2026-03-04")  # a Wednesday

    points = measures_trend(workspace, Period(dt.date(2026, 3, 1), dt.date(2026, 3, 20)), grain="week")

    assert points[0].start == dt.date(2026, 2, 23)
    assert [p.measures.nps_n for p in points] == [0, 1, 0, 0]


# Comments and the account card -------------------------------------------------------------------


def test_comments_are_searched_in_the_comment_and_the_account(
    workspace: Workspace, nps: Survey, account: Account, initech: Account
) -> None:
    answer(nps, account, 3, comment="The attribution report is too slow")
    answer(nps, initech, 10, comment="Love the workflows")
    answer(nps, initech, 9)

    assert commented_responses(workspace, PERIOD).count() == 2
    assert [r.score for r in commented_responses(workspace, PERIOD, q="ATTRIBUTION")] == [3]
    assert [r.score for r in commented_responses(workspace, PERIOD, q="initech")] == [10]


def test_the_account_card_has_latest_categories_figures_and_comments(
    nps: Survey, account: Account, jane: Contact
) -> None:
    now = dt.datetime.now(dt.UTC)
    services.response_record(survey=nps, contact=jane, score=4, comment="Too many bugs", answered_at=now, source="web")

    voice = account_voice(account)

    assert [c.nps_category for c in voice.contacts] == ["detractor"]
    assert voice.measures.nps.value == -100
    assert [r.comment for r in voice.comments] == ["Too many bugs"]


def test_a_period_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError):
        Period(dt.date(2026, 2, 1), dt.date(2026, 1, 1))


def test_twelve_months_end_today(workspace: Workspace) -> None:
    period = Period.last_months(workspace, 12, today=dt.date(2026, 11, 20))

    assert (period.start, period.end) == (dt.date(2025, 11, 21), dt.date(2026, 11, 20))
