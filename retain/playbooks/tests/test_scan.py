"""Scanning: each trigger kind enrols exactly the occurrences it should, and each only once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from retain.accounts import services as account_services
from retain.accounts.models import Account, Subscription
from retain.playbooks import engine, services
from retain.playbooks.defaults import playbooks_install_defaults
from retain.playbooks.models import ConditionState, Enrollment
from retain.playbooks.tests.helpers import playbook, score
from retain.tenancy.models import Member, Workspace

NOW = timezone.now()
TODAY = dt.date.today()


def keys(key: str = "") -> list[tuple[int, str]]:
    rows = Enrollment.objects.all() if not key else Enrollment.objects.filter(playbook_key=key)
    return sorted(rows.values_list("account_id", "occurrence_key"))


def later(days: float) -> dt.datetime:
    return NOW + dt.timedelta(days=days)


def test_time_after_subscription_start_fires_once_across_scans_and_versions(
    workspace: Workspace, account: Account
) -> None:
    # The fixture's subscription started 305 days ago.
    playbook(workspace, key="check-in", trigger={"kind": "time", "from": "subscription_start", "after_days": 305})
    assert engine.scan(workspace=workspace, now=NOW).enrolled == 1
    assert keys() == [(account.pk, f"due:{TODAY.isoformat()}")]
    enrollment = Enrollment.objects.get()
    assert enrollment.status == "pending" and enrollment.due_at <= NOW
    assert "305 days after subscription start" in enrollment.context["reason"]
    assert engine.scan(workspace=workspace, now=NOW).enrolled == 0
    playbook(
        workspace,
        key="check-in",
        name="Check-in v2",
        trigger={"kind": "time", "from": "subscription_start", "after_days": 305},
    )
    engine.scan(workspace=workspace, now=NOW)
    assert Enrollment.objects.count() == 1


def test_a_due_day_outside_the_scan_window_does_not_fire(workspace: Workspace, account: Account) -> None:
    playbook(workspace, key="early", trigger={"kind": "time", "from": "subscription_start", "after_days": 30})
    assert engine.scan(workspace=workspace, now=NOW).enrolled == 0


def test_recurring_every_n_days(workspace: Workspace, account: Account) -> None:
    # Due 5 days after the start, then every 100 days: 300, 200 and 100 days ago, today, in 100 days.
    playbook(
        workspace, key="qbr", trigger={"kind": "time", "from": "subscription_start", "after_days": 5, "every_days": 100}
    )
    engine.scan(workspace=workspace, now=NOW)
    engine.scan(workspace=workspace, now=later(50))
    engine.scan(workspace=workspace, now=later(100))
    engine.scan(workspace=workspace, now=later(100))
    assert keys() == [
        (account.pk, f"due:{TODAY.isoformat()}"),
        (account.pk, f"due:{(TODAY + dt.timedelta(days=100)).isoformat()}"),
    ]


def test_renewal_window_uses_the_tier_window(workspace: Workspace, account: Account) -> None:
    # Term end in 60 days; the enterprise window is 90 days, so it opened 30 days ago.
    playbook(workspace, key="renewal", trigger={"kind": "time", "from": "renewal_window", "after_days": 30})
    engine.scan(workspace=workspace, now=NOW)
    assert keys() == [(account.pk, f"due:{TODAY.isoformat()}")]
    workspace.renewal_window_enterprise_days = 60
    workspace.save()
    playbook(workspace, key="renewal-open", trigger={"kind": "time", "from": "renewal_window", "after_days": 0})
    engine.scan(workspace=workspace, now=NOW)
    assert keys("renewal-open") == [(account.pk, f"due:{TODAY.isoformat()}")]


def test_the_default_renewal_playbook_starts_every_term(workspace: Workspace, account: Account) -> None:
    playbooks_install_defaults(workspace=workspace)
    subscription = Subscription.objects.get(account=account)
    # The enterprise window is 90 days: a term ending in 90 days opens its renewal today.
    Subscription.objects.filter(pk=subscription.pk).update(term_end=TODAY + dt.timedelta(days=90))
    engine.scan(workspace=workspace, now=NOW)
    assert keys("renewal-started") == [(account.pk, f"due:{TODAY.isoformat()}")]
    # Renewed for a year: the next term's window opens a year later and starts that renewal too.
    Subscription.objects.filter(pk=subscription.pk).update(term_end=TODAY + dt.timedelta(days=455))
    engine.scan(workspace=workspace, now=later(365))
    assert keys("renewal-started") == [
        (account.pk, f"due:{TODAY.isoformat()}"),
        (account.pk, f"due:{(TODAY + dt.timedelta(days=365)).isoformat()}"),
    ]


def test_stage_entry_and_customer_since(workspace: Workspace, account: Account) -> None:
    account_services.account_update(
        account=account,
        actor=None,
        via="test",
        stage="adoption",
        stage_entered_on=TODAY - dt.timedelta(days=3),
        customer_since=TODAY - dt.timedelta(days=7),
    )
    playbook(
        workspace, key="adopting", trigger={"kind": "time", "from": "stage_entry", "stage": "adoption", "after_days": 3}
    )
    playbook(
        workspace,
        key="onboarded",
        trigger={"kind": "time", "from": "stage_entry", "stage": "onboarding", "after_days": 3},
    )
    playbook(workspace, key="week-one", trigger={"kind": "time", "from": "customer_since", "after_days": 7})
    engine.scan(workspace=workspace, now=NOW)
    assert [key for key in ("adopting", "onboarded", "week-one") if keys(key)] == ["adopting", "week-one"]


RED = {"kind": "data", "condition": {"attr": "health.band", "op": "eq", "value": "red"}}


def test_data_trigger_fires_on_each_false_to_true_edge(workspace: Workspace, account: Account) -> None:
    playbook(workspace, key="red", trigger=RED)
    score(account, TODAY, 30, "red")
    engine.scan(workspace=workspace, now=NOW)
    engine.scan(workspace=workspace, now=NOW + dt.timedelta(minutes=1))
    assert keys() == [(account.pk, f"edge:{TODAY.isoformat()}")]
    score(account, TODAY + dt.timedelta(days=1), 80, "green")
    engine.scan(workspace=workspace, now=later(1))
    assert not ConditionState.objects.get().is_true
    score(account, TODAY + dt.timedelta(days=2), 20, "red")
    engine.scan(workspace=workspace, now=later(2))
    engine.scan(workspace=workspace, now=later(2.01))
    assert keys() == [
        (account.pk, f"edge:{TODAY.isoformat()}"),
        (account.pk, f"edge:{(TODAY + dt.timedelta(days=2)).isoformat()}"),
    ]


def test_debounce_waits_for_the_condition_to_hold(workspace: Workspace, account: Account) -> None:
    playbook(workspace, key="red", trigger={**RED, "hold_hours": 24})
    score(account, TODAY, 30, "red")
    score(account, TODAY + dt.timedelta(days=1), 30, "red")
    engine.scan(workspace=workspace, now=NOW)
    engine.scan(workspace=workspace, now=NOW + dt.timedelta(hours=23))
    assert keys() == []
    engine.scan(workspace=workspace, now=NOW + dt.timedelta(hours=24))
    assert keys() == [(account.pk, f"edge:{TODAY.isoformat()}")]


def test_a_flicker_shorter_than_the_hold_never_fires(workspace: Workspace, account: Account) -> None:
    playbook(workspace, key="red", trigger={**RED, "hold_hours": 48})
    score(account, TODAY, 30, "red")
    engine.scan(workspace=workspace, now=NOW)
    score(account, TODAY + dt.timedelta(days=1), 90, "green")
    engine.scan(workspace=workspace, now=later(1))
    score(account, TODAY + dt.timedelta(days=2), 90, "green")
    engine.scan(workspace=workspace, now=later(2.5))
    assert keys() == []


@pytest.mark.parametrize(("limits", "expected"), [({"once": True}, 1), ({"max": 1, "per_days": 3}, 2), ({}, 3)])
def test_frequency_limits(workspace: Workspace, account: Account, limits: dict[str, object], expected: int) -> None:
    playbook(workspace, key="red", trigger=RED, limits=limits)
    for day in range(6):  # red on even days, green on odd days: three edges, two days apart
        score(account, TODAY + dt.timedelta(days=day), 30 if day % 2 == 0 else 90, "red" if day % 2 == 0 else "green")
        engine.scan(workspace=workspace, now=later(day))
    assert len(keys()) == expected


def test_a_limit_counts_an_occurrence_whose_escalation_is_still_waiting(workspace: Workspace, account: Account) -> None:
    # The risk review's escalate step waits 7 days, which moves the enrolment's due_at a week
    # ahead; red again two days later must still meet "at most 1 per 30 days".
    review = [
        {"task": {"title": "Risk review", "kind": "review", "assignee": "owner", "due_in_days": 2}},
        {"escalate": {"step": 0, "after_days": 7}},
    ]
    playbook(workspace, key="red", trigger=RED, limits={"max": 1, "per_days": 30}, steps=review)
    score(account, TODAY, 30, "red")
    engine.scan(workspace=workspace, now=NOW)
    engine.sweep(worker_name="test", now=NOW)
    first = Enrollment.objects.get()
    assert first.status == "waiting" and first.due_at > later(6)
    score(account, TODAY + dt.timedelta(days=1), 90, "green")
    engine.scan(workspace=workspace, now=later(1))
    score(account, TODAY + dt.timedelta(days=2), 20, "red")
    engine.scan(workspace=workspace, now=later(2))
    assert keys() == [(account.pk, f"edge:{TODAY.isoformat()}")]
    score(account, TODAY + dt.timedelta(days=31), 90, "green")
    engine.scan(workspace=workspace, now=later(31))
    score(account, TODAY + dt.timedelta(days=32), 20, "red")
    engine.scan(workspace=workspace, now=later(32))
    assert len(keys()) == 2


def test_audience_and_conditions_at_enrol_time(workspace: Workspace, account: Account, carol: Member) -> None:
    other = account_services.account_create(
        workspace=workspace, actor=None, via="test", name="Initech", tier="community"
    )
    account_services.subscription_create(
        account=other,
        actor=None,
        via="test",
        product="P",
        mrr=Decimal(5),
        seats=1,
        started_on=TODAY - dt.timedelta(days=305),
        term_end=TODAY + dt.timedelta(days=60),
    )
    churned = account_services.account_create(workspace=workspace, actor=None, via="test", name="Gone", stage="churned")
    account_services.subscription_create(
        account=churned,
        actor=None,
        via="test",
        product="P",
        mrr=Decimal(5),
        seats=1,
        started_on=TODAY - dt.timedelta(days=305),
        term_end=TODAY + dt.timedelta(days=60),
    )
    time = {"kind": "time", "from": "subscription_start", "after_days": 305}
    playbook(workspace, key="ent", trigger=time, audience={"tier": ["enterprise"]})
    playbook(workspace, key="carols", trigger=time, audience={"owner": ["carol@acme.example"]})
    playbook(workspace, key="big", trigger=time, conditions={"attr": "account.mrr", "op": "gte", "value": 100})
    playbook(workspace, key="everyone", trigger=time)
    engine.scan(workspace=workspace, now=NOW)
    assert {key: [a for a, _ in keys(key)] for key in ("ent", "carols", "big", "everyone")} == {
        "ent": [account.pk],
        "carols": [account.pk],
        "big": [account.pk],
        "everyone": sorted([account.pk, other.pk]),
    }


def test_event_trigger_fires_once_per_fact_after_the_playbook_exists(workspace: Workspace, account: Account) -> None:
    early = account_services.contact_create(
        account=account, actor=None, via="test", email="old@globex.example", role="champion"
    )
    account_services.contact_update(contact=early, actor=None, via="test", status="left")
    playbook(
        workspace,
        key="champion-left",
        trigger={
            "kind": "event",
            "entry": "contact_left",
            "where": {"attr": "entry.contact.role", "op": "eq", "value": "champion"},
        },
    )
    champion = account_services.contact_create(
        account=account, actor=None, via="test", email="c@globex.example", role="champion"
    )
    user = account_services.contact_create(
        account=account, actor=None, via="test", email="u@globex.example", role="user"
    )
    account_services.contact_update(contact=user, actor=None, via="test", status="left")
    account_services.contact_update(contact=champion, actor=None, via="test", status="left")
    engine.scan(workspace=workspace, now=NOW)
    engine.scan(workspace=workspace, now=NOW)
    (enrollment,) = Enrollment.objects.all()
    assert enrollment.occurrence_key.startswith("entry:")
    assert enrollment.context["entry"]["entry.contact.email"] == "c@globex.example"


def test_plan_replays_without_writing(workspace: Workspace, account: Account) -> None:
    qbr = playbook(
        workspace,
        key="qbr",
        trigger={"kind": "time", "from": "subscription_start", "after_days": 5, "every_days": 100},
        steps=[{"task": {"title": "QBR", "kind": "meeting"}}],
    )
    occurrences = engine.plan(
        workspace=workspace, playbooks=[qbr], start=TODAY - dt.timedelta(days=250), end=TODAY, dry_run=True
    )
    assert [o.occurrence_key for o in occurrences] == [
        f"due:{(TODAY - dt.timedelta(days=d)).isoformat()}" for d in (200, 100, 0)
    ]
    assert occurrences[0].steps == ("task (meeting) for owner: QBR, due in 0 days",)
    assert occurrences[0].account_name == "Globex"
    # Live, the playbook only exists since today.
    live = engine.plan(
        workspace=workspace, playbooks=[qbr], start=TODAY - dt.timedelta(days=250), end=TODAY, dry_run=False
    )
    assert [o.occurrence_key for o in live] == [f"due:{TODAY.isoformat()}"]
    assert not Enrollment.objects.exists()


def test_plan_replays_data_edges_day_by_day(workspace: Workspace, account: Account) -> None:
    red = playbook(workspace, key="red", trigger={**RED, "hold_hours": 24})
    for day, band in ((-5, "green"), (-4, "red"), (-3, "red"), (-2, "green"), (-1, "red"), (0, "green")):
        score(account, TODAY + dt.timedelta(days=day), 50, band)
    occurrences = engine.plan(
        workspace=workspace, playbooks=[red], start=TODAY - dt.timedelta(days=4), end=TODAY, dry_run=True
    )
    # Red for two days from day -4 (held 24 hours: fires on day -3); red on day -1 only: no hold.
    assert [(o.occurrence_key, o.due_at.date()) for o in occurrences] == [
        (f"edge:{(TODAY - dt.timedelta(days=4)).isoformat()}", TODAY - dt.timedelta(days=3))
    ]


def test_a_saved_segment_is_an_audience(workspace: Workspace, account: Account) -> None:
    account_services.segment_create(
        workspace=workspace, actor=None, name="Enterprise", criteria={"tier": ["enterprise"]}
    )
    time = {"kind": "time", "from": "subscription_start", "after_days": 305}
    playbook(workspace, key="seg", trigger=time, audience={"segment": "Enterprise"})
    engine.scan(workspace=workspace, now=NOW)
    assert keys("seg") == [(account.pk, f"due:{TODAY.isoformat()}")]
    account_services.account_update(account=account, actor=None, via="test", tier="community")
    later_day = playbook(workspace, key="seg-later", trigger=time, audience={"segment": "Enterprise"})
    engine.scan(workspace=workspace, now=NOW)
    assert keys(later_day.key) == []


def test_facts_written_while_a_playbook_was_off_do_not_fire_when_it_is_switched_on(
    workspace: Workspace, account: Account
) -> None:
    bounced = playbook(workspace, key="bounced", trigger={"kind": "event", "entry": "contact_left"})
    first = account_services.contact_create(account=account, actor=None, via="test", email="a@globex.example")
    account_services.contact_update(contact=first, actor=None, via="test", status="left")
    engine.scan(workspace=workspace, now=NOW)
    assert len(keys()) == 1
    services.playbook_set_active(playbook=bounced, active=False, actor=None)
    second = account_services.contact_create(account=account, actor=None, via="test", email="b@globex.example")
    account_services.contact_update(contact=second, actor=None, via="test", status="left")
    engine.scan(workspace=workspace, now=NOW)
    services.playbook_set_active(playbook=bounced, active=True, actor=None)
    engine.scan(workspace=workspace, now=NOW)
    assert len(keys()) == 1
    third = account_services.contact_create(account=account, actor=None, via="test", email="c@globex.example")
    account_services.contact_update(contact=third, actor=None, via="test", status="left")
    engine.scan(workspace=workspace, now=NOW)
    assert len(keys()) == 2
