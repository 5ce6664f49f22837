"""Health services: versioned scorecards, ordered assignment, the day's scores and band changes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from retain.accounts import services as account_services
from retain.accounts.choices import EntryKind
from retain.accounts.models import Account, TimelineEntry
from retain.health import definition, selectors, services
from retain.health.choices import Band, ScorecardStatus
from retain.health.defaults import FILES, default_scorecard_text
from retain.health.models import HealthScore, Pulse, Scorecard
from retain.tenancy.models import Member, Workspace

D = dt.date(2026, 6, 30)

PULSE_ONLY = """\
name: Pulse only
applies_to: {default: true}
priority: 1000
measures:
- kind: csm_pulse
  label: CSM pulse
  weight: 1
  scoring:
    bands:
    - {below: 2, score: 0}
    - {below: 3, score: 50}
    - {else: 100}
"""

RETAIL = """\
name: Retail
applies_to: {industry: [retail]}
priority: 5
measures:
- kind: logins
  label: Logins
  weight: 1
  scoring:
    linear: {from: 0, to: 10}
"""


ESTABLISHED = dt.date(2024, 1, 1)


def make_account(workspace: Workspace, name: str, *, paying: bool = True, **fields: Any) -> Account:
    """An account; by default an established paying customer (a subscription since 2024), which
    is what gets scored."""
    account = account_services.account_create(workspace=workspace, actor=None, via="test", name=name, **fields)
    if paying:
        subscribe(account, mrr=Decimal(100), started_on=ESTABLISHED)
    return account


def subscribe(account: Account, *, mrr: Decimal, started_on: dt.date) -> None:
    account_services.subscription_create(
        account=account,
        actor=None,
        via="test",
        product="Marketing Hub",
        mrr=mrr,
        started_on=started_on,
        term_end=started_on + dt.timedelta(days=3 * 365),
    )


def pulse(account: Account, value: int, set_on: dt.date) -> Pulse:
    return Pulse.objects.create(workspace_id=account.workspace_id, account=account, value=value, set_on=set_on)


def published(workspace: Workspace) -> list[tuple[str, int]]:
    return [(row.name, row.version) for row in selectors.scorecards_published(workspace)]


# Publishing ---------------------------------------------------------------------------------------


def test_the_defaults_are_installed_once_in_the_order_they_are_tried(workspace: Workspace) -> None:
    first = services.scorecards_install_defaults(workspace=workspace)
    again = services.scorecards_install_defaults(workspace=workspace)
    assert [row.name for row in first] == ["Strategic (high-touch)", "Enterprise (mid-touch)", "Community (tech-touch)"]
    assert [row.pk for row in again] == [row.pk for row in first]
    assert Scorecard.objects.filter(workspace=workspace).count() == len(FILES)
    assert [row.is_default for row in first] == [False, False, True]
    assert all(row.version == 1 and row.status == ScorecardStatus.PUBLISHED for row in first)


def test_defaults_are_not_installed_over_a_workspace_s_own_scorecards(workspace: Workspace) -> None:
    services.scorecard_publish(workspace=workspace, actor=None, text=PULSE_ONLY)
    services.scorecards_install_defaults(workspace=workspace)
    assert published(workspace) == [("Pulse only", 1)]


def test_a_new_scorecard_is_published_as_version_1(workspace: Workspace, alice: Member) -> None:
    row = services.scorecard_publish(workspace=workspace, actor=alice, text=PULSE_ONLY)
    assert (row.name, row.version, row.status, row.is_default) == ("Pulse only", 1, ScorecardStatus.PUBLISHED, True)
    assert row.definition == PULSE_ONLY
    assert row.created_by == alice
    assert definition.from_data(row.parsed) == definition.parse(PULSE_ONLY)


def test_a_changed_definition_becomes_the_next_version_and_retires_the_previous(workspace: Workspace) -> None:
    first = services.scorecard_publish(workspace=workspace, actor=None, text=PULSE_ONLY)
    second = services.scorecard_publish(
        workspace=workspace, actor=None, text=PULSE_ONLY.replace("score: 50", "score: 60")
    )
    first.refresh_from_db()
    assert second.version == 2
    assert first.status == ScorecardStatus.RETIRED
    assert published(workspace) == [("Pulse only", 2)]


def test_publishing_the_same_text_again_changes_nothing(workspace: Workspace) -> None:
    first = services.scorecard_publish(workspace=workspace, actor=None, text=PULSE_ONLY)
    again = services.scorecard_publish(workspace=workspace, actor=None, text=PULSE_ONLY)
    assert again.pk == first.pk
    assert Scorecard.objects.filter(workspace=workspace).count() == 1


def test_an_invalid_definition_is_refused_with_file_and_line(workspace: Workspace) -> None:
    text = PULSE_ONLY.replace("kind: csm_pulse", "kind: csm_pulze").replace("weight: 1", "weight: -1")
    with pytest.raises(ValidationError) as caught:
        services.scorecard_publish(workspace=workspace, actor=None, text=text, filename="pulse.yaml")
    messages = caught.value.message_dict["definition"]
    assert messages[0].startswith("pulse.yaml:5:3: measures[0].kind: 'csm_pulze' is not a measure kind")
    assert messages[1].startswith("pulse.yaml:7:3: measures[0].weight:")
    assert not Scorecard.objects.exists()


def test_broken_yaml_is_refused_with_its_line(workspace: Workspace) -> None:
    with pytest.raises(ValidationError) as caught:
        services.scorecard_publish(workspace=workspace, actor=None, text="name: x\nmeasures: [\n  - a: b\n")
    (message,) = caught.value.message_dict["definition"]
    assert message.startswith("scorecard.yaml:") and "not valid YAML" in message


def test_criteria_are_checked_as_the_accounts_list_checks_them(workspace: Workspace) -> None:
    text = RETAIL.replace("{industry: [retail]}", "{tier: [platinum]}")
    with pytest.raises(ValidationError) as caught:
        services.scorecard_publish(workspace=workspace, actor=None, text=text)
    assert caught.value.message_dict["definition"] == [
        "scorecard.yaml:2:14: applies_to.tier: 'platinum' is not one of community, enterprise, strategic"
    ]


def test_owner_criteria_must_name_members_of_the_workspace(workspace: Workspace, carol: Member, olga: Member) -> None:
    services.scorecard_publish(
        workspace=workspace, actor=None, text=RETAIL.replace("{industry: [retail]}", f"{{owner: [{carol.pk}]}}")
    )
    with pytest.raises(ValidationError) as caught:
        services.scorecard_publish(
            workspace=workspace, actor=None, text=RETAIL.replace("{industry: [retail]}", f"{{owner: [{olga.pk}]}}")
        )
    assert "is not a member of this workspace" in caught.value.message_dict["definition"][0]


def test_a_second_default_scorecard_is_refused(workspace: Workspace) -> None:
    services.scorecards_install_defaults(workspace=workspace)
    with pytest.raises(ValidationError) as caught:
        services.scorecard_publish(workspace=workspace, actor=None, text=PULSE_ONLY)
    assert "'Community (tech-touch)' is already the default" in caught.value.message_dict["definition"][0]


# Assigning and scoring ----------------------------------------------------------------------------


@pytest.fixture
def book(workspace: Workspace) -> dict[str, Account]:
    return {
        "strategic": make_account(workspace, "Umbrella", tier="strategic"),
        "strategic retail": make_account(workspace, "Shopmart", tier="strategic", industry="retail"),
        "enterprise": make_account(workspace, "Globex", tier="enterprise"),
        "community": make_account(workspace, "Hooli", tier="community"),
    }


def test_each_account_gets_the_first_scorecard_whose_criteria_it_matches(
    workspace: Workspace, book: dict[str, Account]
) -> None:
    services.scorecards_install_defaults(workspace=workspace)
    services.scorecard_publish(workspace=workspace, actor=None, text=RETAIL)
    assigned = services.assign_scorecards(workspace=workspace, account_ids=None)
    names = {label: assigned[account.pk].name for label, account in book.items()}
    assert names == {
        "strategic": "Strategic (high-touch)",
        "strategic retail": "Retail",  # priority 5 is tried before the strategic scorecard's 10
        "enterprise": "Enterprise (mid-touch)",
        "community": "Community (tech-touch)",
    }


def test_the_default_catches_accounts_no_criteria_match(workspace: Workspace, book: dict[str, Account]) -> None:
    services.scorecard_publish(workspace=workspace, actor=None, text=PULSE_ONLY)
    services.scorecard_publish(workspace=workspace, actor=None, text=RETAIL)
    assigned = services.assign_scorecards(workspace=workspace, account_ids=[a.pk for a in book.values()])
    assert {assigned[a.pk].name for a in book.values() if a.industry != "retail"} == {"Pulse only"}
    assert assigned[book["strategic retail"].pk].name == "Retail"


def test_without_a_default_unmatched_accounts_are_left_out(workspace: Workspace, book: dict[str, Account]) -> None:
    services.scorecard_publish(workspace=workspace, actor=None, text=RETAIL)
    assigned = services.assign_scorecards(workspace=workspace, account_ids=None)
    assert list(assigned) == [book["strategic retail"].pk]


def test_scoring_writes_nothing(workspace: Workspace, book: dict[str, Account]) -> None:
    services.scorecards_install_defaults(workspace=workspace)
    results = services.score_accounts(workspace=workspace, day=D)
    assert set(results) == {account.pk for account in book.values()}
    row, result = results[book["community"].pk]
    assert row is not None and row.name == "Community (tech-touch)"
    assert result.band in (Band.RED, Band.YELLOW, Band.GREEN)
    assert not HealthScore.objects.exists()


def test_a_draft_definition_is_scored_in_place_of_its_published_version(
    workspace: Workspace, book: dict[str, Account]
) -> None:
    services.scorecard_publish(workspace=workspace, actor=None, text=PULSE_ONLY)
    pulse(book["enterprise"], 2, D)
    draft = definition.parse(PULSE_ONLY.replace("score: 50", "score: 80"))
    definitions = services.draft_definitions(workspace=workspace, draft=draft)
    now = services.score_accounts(workspace=workspace, day=D)
    then = services.score_accounts(workspace=workspace, day=D, definitions=definitions)
    assert now[book["enterprise"].pk][1].overall == 50
    assert then[book["enterprise"].pk] == (None, then[book["enterprise"].pk][1])
    assert then[book["enterprise"].pk][1].overall == 80


# Recomputing --------------------------------------------------------------------------------------


def test_recompute_installs_the_defaults_and_writes_one_row_per_account(
    workspace: Workspace, book: dict[str, Account]
) -> None:
    result = services.health_recompute(workspace=workspace, day=D)
    assert result.accounts == len(book)
    assert sum(result.bands.values()) == len(book)
    rows = HealthScore.objects.filter(day=D)
    assert rows.count() == len(book)
    strategic = rows.get(account=book["strategic"])
    assert strategic.scorecard.name == "Strategic (high-touch)"
    assert {m["kind"] for m in strategic.measures} >= {"active_days", "champion_active", "csm_pulse"}
    assert set(strategic.measures[0]) >= {"kind", "label", "raw", "score", "weight", "contribution", "missing"}


def test_a_second_run_on_the_same_day_replaces_the_first(workspace: Workspace, book: dict[str, Account]) -> None:
    services.scorecard_publish(workspace=workspace, actor=None, text=PULSE_ONLY)
    account = book["enterprise"]
    pulse(account, 2, D)
    services.health_recompute(workspace=workspace, day=D)
    first = HealthScore.objects.get(account=account, day=D)
    pulse(account, 3, D)
    services.health_recompute(workspace=workspace, day=D)
    latest = HealthScore.objects.get(account=account, day=D)
    assert (first.overall, latest.overall) == (50, 100)
    assert latest.computed_at >= first.computed_at
    assert HealthScore.objects.filter(day=D).count() == len(book)


def test_an_account_with_no_inputs_is_stored_blank(workspace: Workspace, book: dict[str, Account]) -> None:
    services.scorecard_publish(workspace=workspace, actor=None, text=PULSE_ONLY)
    services.health_recompute(workspace=workspace, day=D)
    row = HealthScore.objects.get(account=book["community"], day=D)
    assert (row.overall, row.band) == (None, Band.BLANK)


def test_a_band_change_writes_exactly_one_timeline_entry(workspace: Workspace, book: dict[str, Account]) -> None:
    services.scorecard_publish(workspace=workspace, actor=None, text=PULSE_ONLY)
    account = book["enterprise"]
    pulse(account, 3, D - dt.timedelta(days=1))
    first = services.health_recompute(workspace=workspace, day=D - dt.timedelta(days=1))
    pulse(account, 1, D)
    second = services.health_recompute(workspace=workspace, day=D)
    again = services.health_recompute(workspace=workspace, day=D)
    assert (first.band_changes, second.band_changes, again.band_changes) == (0, 1, 0)
    entry = TimelineEntry.objects.get(kind=EntryKind.HEALTH_BAND_CHANGED)
    assert entry.account == account
    assert entry.summary == "Health turned red (was green): −100 the CSM's pulse is red"
    assert entry.data["band"] == "red" and entry.data["previous_band"] == "green"
    assert entry.data["day"] == D.isoformat()
    # Dated on the day it was computed for (the demo fills past days).
    assert entry.occurred_at.date() == D


def test_every_move_on_one_day_is_told_once(workspace: Workspace, book: dict[str, Account]) -> None:
    services.scorecard_publish(workspace=workspace, actor=None, text=PULSE_ONLY)
    account = book["enterprise"]
    pulse(account, 3, D - dt.timedelta(days=1))
    services.health_recompute(workspace=workspace, day=D - dt.timedelta(days=1))
    for value in (1, 3, 1, 3, 3):  # red, green, red, green, and green again (no move)
        Pulse.objects.filter(account=account).delete()
        pulse(account, value, D)
        services.health_recompute(workspace=workspace, day=D)
    entries = TimelineEntry.objects.filter(kind=EntryKind.HEALTH_BAND_CHANGED).order_by("pk")
    assert [entry.data["band"] for entry in entries] == ["red", "green", "red", "green"]
    keys = [entry.dedupe_key for entry in entries]
    assert all(key and key.startswith(f"health_band:{account.pk}:{D.isoformat()}:") for key in keys)
    assert len(set(keys)) == 4


def test_the_first_score_of_an_account_writes_no_entry(workspace: Workspace, book: dict[str, Account]) -> None:
    services.health_recompute(workspace=workspace, day=D)
    assert not TimelineEntry.objects.filter(kind=EntryKind.HEALTH_BAND_CHANGED).exists()


def test_recompute_can_be_limited_to_some_accounts(workspace: Workspace, book: dict[str, Account]) -> None:
    result = services.health_recompute(workspace=workspace, day=D, account_ids=[book["community"].pk])
    assert result.accounts == 1
    assert list(HealthScore.objects.values_list("account_id", flat=True)) == [book["community"].pk]


def test_a_stored_score_reads_back_as_the_result_it_was(workspace: Workspace, book: dict[str, Account]) -> None:
    services.health_recompute(workspace=workspace, day=D)
    row = HealthScore.objects.get(account=book["strategic"], day=D)
    _, fresh = services.score_accounts(workspace=workspace, day=D, account_ids=[book["strategic"].pk])[
        book["strategic"].pk
    ]
    stored = selectors.stored_result(row)
    assert stored.overall == fresh.overall
    assert [(m.kind, m.raw, m.missing) for m in stored.measures] == [(m.kind, m.raw, m.missing) for m in fresh.measures]


def _recompute_queries(workspace: Workspace, count: int) -> int:
    tiers = ["community", "enterprise", "strategic"]
    for index in range(count):
        created = make_account(workspace, f"Account {index}", tier=tiers[index % 3])
        # Green yesterday, red today: the band-change path runs too.
        pulse(created, 3, D - dt.timedelta(days=1))
        pulse(created, 1, D)
    # The strategic and enterprise defaults (every measure kind between them), and a default that
    # only reads the pulse, so that the community accounts change band.
    for text in (default_scorecard_text("strategic.yaml"), default_scorecard_text("enterprise.yaml"), PULSE_ONLY):
        services.scorecard_publish(workspace=workspace, actor=None, text=text)
    services.health_recompute(workspace=workspace, day=D - dt.timedelta(days=1))
    with CaptureQueriesContext(connection) as queries:
        result = services.health_recompute(workspace=workspace, day=D)
    assert result.band_changes > 0
    return len(queries)


def test_recompute_queries_do_not_grow_with_the_number_of_accounts(
    workspace: Workspace, other_workspace: Workspace
) -> None:
    few = _recompute_queries(workspace, 5)
    many = _recompute_queries(other_workspace, 40)
    assert few == many
    assert many <= 24


# Pulses -------------------------------------------------------------------------------------------


def test_a_pulse_is_recorded_on_the_timeline_and_re_scores_the_account(
    workspace: Workspace, account: Account, carol: Member, django_capture_on_commit_callbacks: Any
) -> None:
    services.scorecard_publish(workspace=workspace, actor=None, text=PULSE_ONLY)
    with django_capture_on_commit_callbacks(execute=True):
        pulse_row = services.pulse_set(account=account, actor=carol, value=1, note="Champion is leaving")
    assert (pulse_row.value, pulse_row.member, pulse_row.note) == (1, carol, "Champion is leaving")
    entry = TimelineEntry.objects.get(kind=EntryKind.PULSE_SET)
    assert entry.summary == "CSM pulse set to red: Champion is leaving"
    assert entry.actor == carol
    score = HealthScore.objects.get(account=account)
    assert (score.overall, score.band) == (0, Band.RED)


@pytest.mark.parametrize("value", [0, 4, "green", None])
def test_a_pulse_must_be_red_yellow_or_green(account: Account, carol: Member, value: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        services.pulse_set(account=account, actor=carol, value=value)
    assert "value" in caught.value.message_dict
    assert not Pulse.objects.exists()


def test_a_pulse_by_an_outsider_is_refused(account: Account, olga: Member) -> None:
    with pytest.raises(ValidationError) as caught:
        services.pulse_set(account=account, actor=olga, value=3)
    assert "actor" in caught.value.message_dict


def test_the_default_files_publish_as_written(workspace: Workspace) -> None:
    rows = services.scorecards_install_defaults(workspace=workspace)
    texts = {row.definition for row in rows}
    assert texts == {default_scorecard_text(name) for name in FILES}


# Not scored yet -----------------------------------------------------------------------------------


def test_an_account_without_a_subscription_is_not_scored_yet_rather_than_red(workspace: Workspace) -> None:
    services.scorecard_publish(workspace=workspace, actor=None, text=PULSE_ONLY)
    account = make_account(workspace, "Initech", tier="enterprise", paying=False)
    pulse(account, 1, D)
    result = services.health_recompute(workspace=workspace, day=D)
    row = HealthScore.objects.get(account=account, day=D)
    assert (row.band, row.overall, row.not_scored_reason) == (Band.BLANK, None, "no active subscription")
    assert result.bands == {Band.BLANK: 1}
    # Its measures are kept, so the page can show where it stands.
    assert [m["kind"] for m in row.measures] == ["csm_pulse"]


def test_an_account_whose_subscriptions_pay_nothing_is_not_scored_yet(workspace: Workspace) -> None:
    services.scorecard_publish(workspace=workspace, actor=None, text=PULSE_ONLY)
    account = make_account(workspace, "Initech", tier="enterprise", paying=False)
    subscribe(account, mrr=Decimal(0), started_on=ESTABLISHED)
    pulse(account, 1, D)
    services.health_recompute(workspace=workspace, day=D)
    row = HealthScore.objects.get(account=account, day=D)
    assert (row.band, row.not_scored_reason) == (Band.BLANK, "no revenue yet")


@pytest.mark.parametrize(
    ("tier", "days", "reason"),
    [
        ("enterprise", 10, "in its onboarding window (day 10 of 90)"),
        ("enterprise", 89, "in its onboarding window (day 89 of 90)"),
        ("enterprise", 90, ""),
        ("strategic", 60, "in its onboarding window (day 60 of 90)"),
        ("community", 59, "in its onboarding window (day 59 of 60)"),
        ("community", 60, ""),
    ],
)
def test_an_account_in_its_tier_s_onboarding_window_is_not_scored_yet(
    workspace: Workspace, tier: str, days: int, reason: str
) -> None:
    services.scorecard_publish(workspace=workspace, actor=None, text=PULSE_ONLY)
    start = D - dt.timedelta(days=days)
    account = make_account(workspace, "Initech", tier=tier, paying=False, customer_since=start)
    subscribe(account, mrr=Decimal(500), started_on=start)
    pulse(account, 1, D)
    services.health_recompute(workspace=workspace, day=D)
    row = HealthScore.objects.get(account=account, day=D)
    assert row.not_scored_reason == reason
    assert row.band == (Band.BLANK if reason else Band.RED)


def test_without_a_customer_since_date_the_first_subscription_starts_the_window(workspace: Workspace) -> None:
    services.scorecard_publish(workspace=workspace, actor=None, text=PULSE_ONLY)
    account = make_account(workspace, "Initech", tier="enterprise", paying=False)
    subscribe(account, mrr=Decimal(500), started_on=D - dt.timedelta(days=30))
    subscribe(account, mrr=Decimal(100), started_on=D - dt.timedelta(days=5))
    pulse(account, 1, D)
    services.health_recompute(workspace=workspace, day=D)
    assert HealthScore.objects.get(account=account).not_scored_reason == "in its onboarding window (day 30 of 90)"
    services.health_recompute(workspace=workspace, day=D + dt.timedelta(days=60))
    assert HealthScore.objects.get(account=account, day=D + dt.timedelta(days=60)).band == Band.RED


def test_a_red_account_that_stops_paying_says_why_it_is_no_longer_scored(workspace: Workspace) -> None:
    services.scorecard_publish(workspace=workspace, actor=None, text=PULSE_ONLY)
    account = make_account(workspace, "Initech", tier="enterprise")
    pulse(account, 1, D - dt.timedelta(days=1))
    services.health_recompute(workspace=workspace, day=D - dt.timedelta(days=1))
    subscription = account.subscriptions.get()
    account_services.subscription_change(
        subscription=subscription, actor=None, via="test", effective_on=D, mrr=Decimal(0)
    )
    result = services.health_recompute(workspace=workspace, day=D)
    assert result.band_changes == 1
    entry = TimelineEntry.objects.get(kind=EntryKind.HEALTH_BAND_CHANGED)
    assert entry.summary == "Health not scored yet: no active subscription (was red)"
    assert entry.data["not_scored_reason"] == "no active subscription" and entry.data["band"] == Band.BLANK
