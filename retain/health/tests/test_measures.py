"""Health measures: hand-computed values for every kind, as of a past day, for many accounts at once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from retain.accounts import services as account_services
from retain.accounts.models import Account, Contact
from retain.health import measures
from retain.health.measures import KINDS, UnknownMeasure, compute_measures
from retain.health.models import Pulse
from retain.surveys import services as survey_services
from retain.surveys.models import Survey
from retain.tenancy.models import Member, Workspace
from retain.usage.models import DailyAccountUsage, DailyFeatureUsage, DailyUserUsage

D = dt.date(2026, 6, 30)
TZ = "Europe/Zagreb"  # UTC+2 in summer: a local midnight is 22:00 UTC the day before


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.timezone(dt.timedelta(hours=2)))


@pytest.fixture
def zagreb(workspace: Workspace) -> Workspace:
    workspace.time_zone = TZ
    workspace.save(update_fields=["time_zone"])
    return workspace


def make_account(workspace: Workspace, name: str) -> Account:
    return account_services.account_create(workspace=workspace, actor=None, via="test", name=name)


def usage(account: Account, day: dt.date, **counts: Any) -> None:
    DailyAccountUsage.objects.create(workspace_id=account.workspace_id, account=account, day=day, **counts)


def user_day(account: Account, user_id: str, day: dt.date) -> None:
    DailyUserUsage.objects.create(
        workspace_id=account.workspace_id, account=account, user_id=user_id, day=day, events=1
    )


def feature_day(account: Account, feature: str, day: dt.date) -> None:
    DailyFeatureUsage.objects.create(
        workspace_id=account.workspace_id, account=account, feature=feature, day=day, events=3
    )


def subscribe(account: Account, *, seats: int, started_on: dt.date, term_end: dt.date) -> Any:
    return account_services.subscription_create(
        account=account,
        actor=None,
        via="test",
        product="Marketing Hub",
        mrr=Decimal(100 * seats),
        seats=seats,
        started_on=started_on,
        term_end=term_end,
    )


def contact(account: Account, email: str, role: str = "user", **fields: Any) -> Contact:
    return account_services.contact_create(account=account, actor=None, via="test", email=email, role=role, **fields)


def touch(account: Account, at: dt.datetime, contacts: tuple[Contact, ...] = ()) -> None:
    account_services.touchpoint_log(
        account=account, actor=None, via="test", kind="call", occurred_at=at, summary="Check-in", contacts=contacts
    )


def answer(survey: Survey, who: Contact, score: int, at: dt.datetime) -> None:
    survey_services.response_record(survey=survey, contact=who, score=score, answered_at=at, source="import")


def pulse(account: Account, value: int, set_on: dt.date) -> Pulse:
    return Pulse.objects.create(workspace_id=account.workspace_id, account=account, value=value, set_on=set_on)


@pytest.fixture
def nps_survey(zagreb: Workspace) -> Survey:
    return survey_services.survey_create(
        workspace=zagreb, actor=None, name="Relationship NPS", kind="nps", schedule_kind="manual"
    )


@pytest.fixture
def csat_survey(zagreb: Workspace) -> Survey:
    return survey_services.survey_create(
        workspace=zagreb, actor=None, name="Support CSAT", kind="csat", schedule_kind="manual"
    )


@pytest.fixture
def busy(zagreb: Workspace) -> Account:
    """Product usage around D, including rows after D and just outside each window."""
    account = make_account(zagreb, "Busy")
    usage(account, D, events=10, active_users=4, logins=3, tickets_created=2)
    usage(account, D - days(6), events=20, active_users=3, logins=1)
    usage(
        account,
        D - days(10),
        events=5,
        active_users=2,
        logins=2,
        tickets_created=1,
        tickets_solved=1,
        key_events={"Blog Migrated": 1, "CRM Integrated": 2},
    )
    usage(account, D - days(27), events=1, active_users=1)
    usage(account, D - days(28), events=100, active_users=9, logins=9)  # baseline only
    usage(account, D - days(89), tickets_created=5, tickets_solved=1)  # last day of the 90
    usage(account, D - days(90), tickets_created=100)  # outside the 90 days
    usage(account, D - days(200), events=1, key_events={"Blog Migrated": 1, "Tracking Code Installed": 1})
    usage(
        account,
        D + days(1),
        events=1000,
        active_users=50,
        logins=50,
        tickets_created=10,
        key_events={"Lead Created": 1},
    )
    for user_id, day in [
        ("u1", D),
        ("u2", D - days(10)),
        ("u1", D - days(27)),
        ("u3", D - days(28)),
        ("u4", D + days(1)),
    ]:
        user_day(account, user_id, day)
    for feature, day in [("Email", D), ("Email", D - days(5)), ("Workflows", D - days(27)), ("Reports", D - days(28))]:
        feature_day(account, feature, day)
    feature_day(account, "Ads", D + days(1))
    subscribe(account, seats=10, started_on=D - days(200), term_end=D + days(45))
    grown = account.subscriptions.get()
    account_services.subscription_change(subscription=grown, actor=None, via="test", effective_on=D + days(5), seats=20)
    churned = subscribe(account, seats=5, started_on=D - days(300), term_end=D + days(10))
    account_services.subscription_churn(subscription=churned, actor=None, via="test", effective_on=D - days(50))
    subscribe(account, seats=7, started_on=D + days(10), term_end=D + days(20))  # not started on D
    return account


@pytest.fixture
def related(zagreb: Workspace, nps_survey: Survey, csat_survey: Survey) -> Account:
    """Contacts, touchpoints, answers and pulses around D."""
    account = make_account(zagreb, "Related")
    contact(account, "champ@related.example", "champion", status="left", left_on=D + days(3))
    sponsor = contact(account, "ceo@related.example", "executive_sponsor")
    touch(account, local(D - days(89), 0, 30), contacts=(sponsor,))  # first minutes of the 90 days
    touch(account, local(D - days(5), 12))
    touch(account, local(D + days(1), 0, 30))  # D 22:30 UTC, but D+1 where the workspace is

    c1, c2, c3, c4, c5 = (contact(account, f"user{n}@related.example") for n in range(1, 6))
    answer(nps_survey, c1, 3, local(D - days(100), 9))
    answer(nps_survey, c1, 10, local(D - days(20), 9))  # c1's latest: promoter
    answer(nps_survey, c2, 9, local(D - days(30), 9))  # promoter
    answer(nps_survey, c3, 0, local(D - days(365), 9))  # older than the year to D
    answer(nps_survey, c4, 5, local(D - days(2), 9))  # detractor
    answer(nps_survey, c4, 9, local(D + days(1), 9))  # after D
    answer(nps_survey, c5, 10, local(D + days(1), 0, 10))  # after D (D 22:10 UTC)

    answer(csat_survey, c1, 1, local(D - days(90), 23, 59))  # outside the 90 days
    answer(csat_survey, c1, 4, local(D - days(89), 0, 1))
    answer(csat_survey, c2, 2, local(D - days(10), 9))
    answer(csat_survey, c2, 5, local(D + days(1), 9))

    pulse(account, 1, D - days(10))
    pulse(account, 3, D - days(3))
    pulse(account, 2, D - days(3))  # set later the same day: wins
    pulse(account, 3, D + days(1))
    return account


@pytest.fixture
def quiet(zagreb: Workspace) -> Account:
    return make_account(zagreb, "Quiet")


def test_usage_measures_count_the_windows_ending_on_the_day(busy: Account) -> None:
    values = compute_measures(busy.workspace, [busy.pk], D)[busy.pk]

    assert values["active_days"] == 4  # D, D-6, D-10, D-27 had events
    assert values["logins"] == 6  # 3 + 1 + 2
    assert values["feature_breadth"] == 2  # Email, Workflows
    assert values["open_tickets"] == 6  # created 2 + 1 + 5, solved 1 + 1 over D-89..D
    # Recent complete week D-7..D-1: 20 events (D's 10 are left out) against a baseline of
    # 5 + 1 + 100 over D-35..D-8.
    assert values["usage_trend"] == pytest.approx(20 / (7 * 106 / 28) - 1)
    assert values["tickets_per_active_user"] == pytest.approx(3 / 2)  # tickets 2 + 1, users u1 and u2


def test_the_trend_does_not_depend_on_how_much_of_the_day_scored_has_passed(busy: Account) -> None:
    """Scores computed at 00:30 and at 23:30 of the same day see the same trend: D's own events,
    however many have arrived so far, are not part of it."""
    before = compute_measures(busy.workspace, [busy.pk], D, kinds=["usage_trend"])[busy.pk]["usage_trend"]
    DailyAccountUsage.objects.filter(account=busy, day=D).update(events=1)
    after = compute_measures(busy.workspace, [busy.pk], D, kinds=["usage_trend"])[busy.pk]["usage_trend"]
    assert before == after == pytest.approx(20 / (7 * 106 / 28) - 1)


def test_seats_come_from_the_ledger_in_force_on_the_day(busy: Account) -> None:
    values = compute_measures(busy.workspace, [busy.pk], D)[busy.pk]

    # 10 seats on D: the growth to 20 comes later, the churned and the unstarted subscriptions do not count.
    assert values["active_users_per_seat"] == pytest.approx((4 + 3 + 2 + 1) / 28 / 10)
    assert values["seat_utilisation"] == pytest.approx(2 / 10)
    assert values["days_to_renewal"] == 45


def test_seats_follow_a_later_change(busy: Account) -> None:
    later = D + days(10)
    values = compute_measures(busy.workspace, [busy.pk], later)[busy.pk]

    # 20 seats of the grown subscription plus 7 of the one that started on D+10.
    assert values["seat_utilisation"] == pytest.approx(3 / 27)  # u2 on D-10, u1 on D, u4 on D+1
    assert values["days_to_renewal"] == 10  # the new subscription's term ends first


def test_key_events_are_counted_once_each_up_to_the_day(busy: Account) -> None:
    values = compute_measures(busy.workspace, [busy.pk], D, kinds=["key_events"])[busy.pk]

    assert values == {"key_events": 3}  # Blog Migrated, CRM Integrated, Tracking Code Installed
    assert compute_measures(busy.workspace, [busy.pk], D + days(1), kinds=["key_events"])[busy.pk]["key_events"] == 4


def test_key_events_can_be_a_chosen_list(busy: Account) -> None:
    chosen = {"key_events": {"events": ["Lead Created", "CRM Integrated", "Reports Shared"]}}

    values = compute_measures(busy.workspace, [busy.pk], D, kinds=["key_events"], params=chosen)

    assert values[busy.pk]["key_events"] == 1


def test_a_champion_who_left_after_the_day_still_counts_on_it(related: Account) -> None:
    assert compute_measures(related.workspace, [related.pk], D)[related.pk]["champion_active"] == 1
    assert compute_measures(related.workspace, [related.pk], D + days(3))[related.pk]["champion_active"] == 0


def test_a_sponsor_on_a_touchpoint_in_the_90_days_is_engaged(related: Account) -> None:
    assert compute_measures(related.workspace, [related.pk], D)[related.pk]["sponsor_engaged"] == 1
    assert compute_measures(related.workspace, [related.pk], D + days(1))[related.pk]["sponsor_engaged"] == 0


def test_the_sponsor_window_is_a_parameter(related: Account) -> None:
    params = {"sponsor_engaged": {"days": 30}}

    values = compute_measures(related.workspace, [related.pk], D, kinds=["sponsor_engaged"], params=params)

    assert values[related.pk]["sponsor_engaged"] == 0


def test_a_sponsor_who_answered_a_survey_is_engaged(zagreb: Workspace, csat_survey: Survey) -> None:
    account = make_account(zagreb, "Answered")
    sponsor = contact(account, "cfo@answered.example", "executive_sponsor")
    answer(csat_survey, sponsor, 4, local(D - days(10), 9))
    gone = make_account(zagreb, "Gone")
    former = contact(gone, "cfo@gone.example", "executive_sponsor", status="left", left_on=D - days(1))
    touch(gone, local(D - days(10), 9), contacts=(former,))

    values = compute_measures(zagreb, [account.pk, gone.pk], D, kinds=["sponsor_engaged"])

    assert values == {account.pk: {"sponsor_engaged": 1}, gone.pk: {"sponsor_engaged": 0}}


def test_a_touchpoint_after_the_day_in_the_workspace_time_zone_does_not_count(related: Account) -> None:
    assert compute_measures(related.workspace, [related.pk], D)[related.pk]["days_since_touchpoint"] == 5
    assert compute_measures(related.workspace, [related.pk], D + days(1))[related.pk]["days_since_touchpoint"] == 0
    assert compute_measures(related.workspace, [related.pk], D + days(4))[related.pk]["days_since_touchpoint"] == 3


def test_nps_takes_each_contacts_latest_answer_in_the_year(related: Account) -> None:
    # c1 10 and c2 9 promoters, c4 5 a detractor; c3's answer is older than a year, c5's is after D.
    assert compute_measures(related.workspace, [related.pk], D)[related.pk]["nps"] == pytest.approx(100 / 3)
    # A day later c4 answered 9 and c5 10: all four promoters.
    assert compute_measures(related.workspace, [related.pk], D + days(1))[related.pk]["nps"] == 100


def test_csat_is_the_mean_of_the_90_days(related: Account) -> None:
    assert compute_measures(related.workspace, [related.pk], D)[related.pk]["csat"] == pytest.approx(3.0)


def test_the_pulse_is_the_latest_set_on_or_before_the_day(related: Account) -> None:
    assert compute_measures(related.workspace, [related.pk], D)[related.pk]["csm_pulse"] == 2
    assert compute_measures(related.workspace, [related.pk], D + days(1))[related.pk]["csm_pulse"] == 3
    assert compute_measures(related.workspace, [related.pk], D - days(11))[related.pk]["csm_pulse"] is None


def test_an_account_with_no_history_gets_zero_counts_and_no_ratios(quiet: Account) -> None:
    values = compute_measures(quiet.workspace, [quiet.pk], D)[quiet.pk]

    assert values == {
        "active_users_per_seat": None,
        "seat_utilisation": None,
        "active_days": 0,
        "logins": 0,
        "feature_breadth": 0,
        "key_events": 0,
        "usage_trend": None,
        "champion_active": 0,
        "sponsor_engaged": 0,
        "days_since_touchpoint": None,
        "open_tickets": 0,
        "tickets_per_active_user": None,
        "nps": None,
        "csat": None,
        "csm_pulse": None,
        "days_to_renewal": None,
    }


def test_seats_without_active_users_give_zero_not_none(zagreb: Workspace) -> None:
    account = make_account(zagreb, "Idle")
    subscribe(account, seats=4, started_on=D - days(30), term_end=D + days(335))

    values = compute_measures(zagreb, [account.pk], D)[account.pk]

    assert values["active_users_per_seat"] == 0
    assert values["seat_utilisation"] == 0
    assert values["tickets_per_active_user"] is None


def test_open_tickets_are_floored_at_zero(zagreb: Workspace) -> None:
    account = make_account(zagreb, "Solved")
    usage(account, D - days(3), events=5, tickets_created=1, tickets_solved=4)

    assert compute_measures(zagreb, [account.pk], D, kinds=["open_tickets"])[account.pk] == {"open_tickets": 0}


def test_the_trend_is_none_without_a_baseline(zagreb: Workspace) -> None:
    account = make_account(zagreb, "New")
    usage(account, D, events=50)

    assert compute_measures(zagreb, [account.pk], D, kinds=["usage_trend"])[account.pk] == {"usage_trend": None}


def test_only_the_kinds_asked_for_are_returned(busy: Account) -> None:
    values = compute_measures(busy.workspace, [busy.pk], D, kinds=["logins", "seat_utilisation"])

    assert values == {busy.pk: {"logins": 6, "seat_utilisation": pytest.approx(0.2)}}


def test_an_unknown_kind_is_refused_by_name(busy: Account) -> None:
    with pytest.raises(UnknownMeasure, match="happiness"):
        compute_measures(busy.workspace, [busy.pk], D, kinds=["logins", "happiness"])


def test_every_account_of_the_workspace_when_no_ids_are_given(
    busy: Account, related: Account, quiet: Account, other_workspace: Workspace
) -> None:
    outsider = make_account(other_workspace, "Elsewhere")
    usage(outsider, D, events=7, logins=7)

    values = compute_measures(busy.workspace, None, D)

    assert set(values) == {busy.pk, related.pk, quiet.pk}
    assert values[busy.pk]["logins"] == 6


def test_many_ids_are_read_workspace_wide_with_the_same_values(
    busy: Account, related: Account, quiet: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    few = compute_measures(busy.workspace, [busy.pk, related.pk], D)
    monkeypatch.setattr(measures, "MAX_IDS_IN_QUERY", 1)

    many = compute_measures(busy.workspace, [busy.pk, related.pk], D)

    assert many == few
    assert set(many) == {busy.pk, related.pk}


def test_an_account_asked_for_in_the_wrong_workspace_shows_none_of_its_data(
    busy: Account, other_workspace: Workspace
) -> None:
    values = compute_measures(other_workspace, [busy.pk], D, kinds=["logins"])

    assert values == {busy.pk: {"logins": 0}}


def _queries(workspace: Workspace, ids: list[int]) -> int:
    with CaptureQueriesContext(connection) as captured:
        compute_measures(workspace, ids, D)
    return len(captured.captured_queries)


def test_the_number_of_queries_does_not_depend_on_the_number_of_accounts(
    zagreb: Workspace, nps_survey: Survey, carol: Member
) -> None:
    accounts = [make_account(zagreb, f"Account {n}") for n in range(30)]
    for n, account in enumerate(accounts):
        usage(account, D - days(n % 7), events=n + 1, active_users=1, logins=1)
        user_day(account, f"user-{n}", D)
        feature_day(account, "Email", D)
        subscribe(account, seats=n + 1, started_on=D - days(100), term_end=D + days(n + 1))
        someone = contact(account, f"champion{n}@example.com", "champion")
        touch(account, local(D - days(n), 9), contacts=(someone,))
        answer(nps_survey, someone, n % 11, local(D - days(n), 10))
        pulse(account, 1 + n % 3, D - days(n))
    ids = [account.pk for account in accounts]

    assert _queries(zagreb, ids[:3]) == _queries(zagreb, ids) == len(measures._QUERIES)
    assert compute_measures(zagreb, ids, D)[ids[29]]["days_to_renewal"] == 30


def test_the_kinds_are_the_contracts() -> None:
    assert len(KINDS) == 16
    assert {kind for _, provides in measures._QUERIES for kind in provides} == set(KINDS)
