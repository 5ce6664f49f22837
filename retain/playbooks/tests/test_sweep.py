"""Sweeping: claimed once, re-checked at fire time, steps run in order with a row each."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from retain.accounts import services as account_services
from retain.accounts.models import Account
from retain.messaging import services as messaging_services
from retain.playbooks import engine, services
from retain.playbooks.models import Enrollment, StepRun
from retain.playbooks.tests.helpers import playbook, score
from retain.tenancy.models import Member, Workspace

NOW = timezone.now()
TODAY = dt.date.today()
TIME = {"kind": "time", "from": "subscription_start", "after_days": 305}


def enrol(workspace: Workspace, **definition: object) -> Enrollment:
    playbook(workspace, key=str(definition.pop("key", "pb")), trigger=definition.pop("trigger", TIME), **definition)
    engine.scan(workspace=workspace, now=NOW)
    return Enrollment.objects.order_by("-pk").first()  # type: ignore[return-value]  # the test made an enrolment just before


def sweep(days: float = 0) -> engine.SweepResult:
    return engine.sweep(now=NOW + dt.timedelta(days=days), worker_name="w1")


def test_set_steps_change_the_account_and_each_step_leaves_a_row(workspace: Workspace, account: Account) -> None:
    enrollment = enrol(
        workspace,
        steps=[
            {"set": {"field": "tag", "value": "at-risk"}},
            {"set": {"field": "traits.risk", "value": "high"}},
            {"set": {"field": "stage", "value": "adoption"}},
            {"set": {"field": "tier", "value": "strategic"}},
        ],
    )
    result = sweep()
    assert (result.claimed, result.done) == (1, 1)
    account.refresh_from_db()
    assert account.traits == {"tags": ["at-risk"], "risk": "high"}
    assert (account.stage, account.tier) == ("adoption", "strategic")
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.step_index, enrollment.claimed_by) == ("done", 4, None)
    assert enrollment.finished_at is not None and enrollment.attempts == 1
    runs = list(StepRun.objects.filter(enrollment=enrollment).values_list("index", "kind", "status"))
    assert runs == [(0, "set", "ok"), (1, "set", "ok"), (2, "set", "ok"), (3, "set", "ok")]
    assert sweep().claimed == 0


def test_wait_sleeps_then_goes_on_after_a_re_check(workspace: Workspace, account: Account) -> None:
    enrollment = enrol(workspace, steps=[{"wait": {"days": 7}}, {"set": {"field": "tag", "value": "followed-up"}}])
    assert sweep().waiting == 1
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.step_index) == ("waiting", 1)
    assert enrollment.due_at == NOW + dt.timedelta(days=7)
    assert sweep(6).claimed == 0
    assert sweep(7).done == 1
    account.refresh_from_db()
    assert account.traits["tags"] == ["followed-up"]


def test_a_wait_ends_in_a_skip_when_the_condition_no_longer_holds(workspace: Workspace, account: Account) -> None:
    score(account, TODAY, 30, "red")
    enrollment = enrol(
        workspace,
        trigger={"kind": "data", "condition": {"attr": "health.band", "op": "eq", "value": "red"}},
        steps=[{"wait": {"days": 2}}, {"set": {"field": "tag", "value": "escalated"}}],
    )
    sweep()
    score(account, TODAY + dt.timedelta(days=1), 90, "green")
    assert sweep(2).skipped == 1
    enrollment.refresh_from_db()
    assert enrollment.status == "skipped"
    assert enrollment.skip_reason.startswith("the trigger condition no longer holds: health.band")
    assert "green" in enrollment.skip_reason
    account.refresh_from_db()
    assert "tags" not in account.traits


def test_conditions_are_re_checked_at_fire_time(workspace: Workspace, account: Account) -> None:
    enrollment = enrol(
        workspace,
        conditions={"attr": "account.stage", "op": "eq", "value": "onboarding"},
        steps=[{"set": {"field": "tag", "value": "x"}}],
    )
    account_services.account_update(account=account, actor=None, via="test", stage="adoption")
    sweep()
    enrollment.refresh_from_db()
    assert enrollment.status == "skipped"
    assert enrollment.skip_reason.startswith("conditions no longer hold: account.stage")
    assert not StepRun.objects.exists()


def test_a_churned_account_is_skipped(workspace: Workspace, account: Account) -> None:
    enrollment = enrol(workspace, steps=[{"set": {"field": "tag", "value": "x"}}])
    account_services.subscription_churn(
        subscription=account.subscriptions.get(), actor=None, via="test", effective_on=TODAY
    )
    sweep()
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.skip_reason) == ("skipped", "account churned")


def test_a_snoozed_account_is_skipped_with_the_day(workspace: Workspace, account: Account, carol: Member) -> None:
    enrollment = enrol(workspace, steps=[{"set": {"field": "tag", "value": "x"}}])
    services.snooze_set(account=account, until=TODAY + dt.timedelta(days=3), reason="on holiday", actor=carol)
    sweep()
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.skip_reason) == (
        "skipped",
        f"snoozed until {(TODAY + dt.timedelta(days=3)).isoformat()}",
    )


def test_an_expired_snooze_does_not_skip(workspace: Workspace, account: Account, carol: Member) -> None:
    enrol(workspace, steps=[{"set": {"field": "tag", "value": "x"}}])
    services.snooze_set(account=account, until=TODAY - dt.timedelta(days=1), actor=carol)
    assert sweep().done == 1


def test_enrol_starts_the_other_playbook_once(workspace: Workspace, account: Account) -> None:
    playbook(
        workspace,
        key="sponsor-intro",
        trigger={"kind": "event", "entry": "webhook_received"},
        steps=[{"set": {"field": "tag", "value": "sponsor"}}],
    )
    enrollment = enrol(workspace, key="main", steps=[{"enrol": {"playbook": "sponsor-intro"}}])
    sweep()
    child = Enrollment.objects.get(playbook_key="sponsor-intro")
    assert child.occurrence_key == f"via:{enrollment.pk}"
    assert StepRun.objects.get(enrollment=enrollment).result["enrollment"] == child.pk
    assert sweep().done == 1
    account.refresh_from_db()
    assert account.traits["tags"] == ["sponsor"]


def test_a_failing_step_fails_its_enrolment_visibly_and_others_go_on(workspace: Workspace, account: Account) -> None:
    broken = enrol(
        workspace,
        key="broken",
        steps=[
            {"set": {"field": "tag", "value": "a"}},
            {"enrol": {"playbook": "missing"}},
            {"set": {"field": "tag", "value": "never"}},
        ],
    )
    fine = enrol(workspace, key="fine", steps=[{"set": {"field": "traits.ok", "value": True}}])
    result = sweep()
    assert (result.failed, result.done) == (1, 1)
    broken.refresh_from_db()
    fine.refresh_from_db()
    assert (broken.status, broken.step_index) == ("failed", 1)
    assert "there is no playbook missing" in broken.last_error
    assert list(StepRun.objects.filter(enrollment=broken).values_list("index", "status")) == [(0, "ok"), (1, "failed")]
    assert fine.status == "done"
    account.refresh_from_db()
    assert account.traits == {"tags": ["a"], "ok": True}


def test_a_claimed_enrolment_is_not_claimed_again_until_its_claim_is_stale(
    workspace: Workspace, account: Account
) -> None:
    enrollment = enrol(workspace, steps=[{"set": {"field": "tag", "value": "x"}}])
    Enrollment.objects.filter(pk=enrollment.pk).update(status="running", claimed_by="dead", claimed_at=NOW)
    assert sweep().claimed == 0
    assert engine.sweep(now=NOW + dt.timedelta(minutes=16), worker_name="w2").done == 1
    assert StepRun.objects.filter(enrollment=enrollment).count() == 1


def test_a_time_occurrence_found_more_than_a_week_late_is_skipped_with_the_reason(
    workspace: Workspace, account: Account
) -> None:
    enrollment = enrol(workspace, steps=[{"set": {"field": "tag", "value": "x"}}])
    due = enrollment.due_at
    # The workers were down for eight days.
    assert engine.sweep(now=due + dt.timedelta(days=8), worker_name="w1").skipped == 1
    enrollment.refresh_from_db()
    assert enrollment.status == "skipped"
    assert enrollment.skip_reason == (
        f"too late: due {due:%Y-%m-%d %H:%M} UTC, 8 days ago (time playbooks run at most 7 days late)"
    )
    assert not StepRun.objects.exists()
    account.refresh_from_db()
    assert "tags" not in account.traits


def test_a_time_occurrence_a_few_days_late_still_runs(workspace: Workspace, account: Account) -> None:
    enrollment = enrol(workspace, steps=[{"set": {"field": "tag", "value": "x"}}])
    assert engine.sweep(now=enrollment.due_at + dt.timedelta(days=6), worker_name="w1").done == 1


def test_an_event_answered_days_late_is_skipped_and_a_fresh_one_runs(workspace: Workspace, account: Account) -> None:
    playbook(
        workspace,
        key="on-webhook",
        trigger={"kind": "event", "entry": "webhook_received"},
        steps=[{"set": {"field": "tag", "value": "called"}}],
    )
    old, _ = messaging_services.webhook_receive(
        workspace=workspace, account=account, name="champion left", data={}, now=NOW - dt.timedelta(days=3)
    )
    fresh, _ = messaging_services.webhook_receive(
        workspace=workspace, account=account, name="champion left", data={}, now=NOW - dt.timedelta(hours=30)
    )
    engine.scan(workspace=workspace, now=NOW)
    result = sweep()
    assert (result.skipped, result.done) == (1, 1)
    skipped = Enrollment.objects.get(occurrence_key=f"entry:{old.pk}")
    assert skipped.skip_reason.startswith("too late: the event happened ")
    assert skipped.skip_reason.endswith(", 3 days ago (timeline event playbooks run at most 2 days late)")
    assert Enrollment.objects.get(occurrence_key=f"entry:{fresh.pk}").status == "done"


def test_a_data_alarm_found_two_days_late_is_skipped(workspace: Workspace, account: Account) -> None:
    score(account, TODAY, 30, "red")
    enrollment = enrol(
        workspace,
        trigger={"kind": "data", "condition": {"attr": "health.band", "op": "eq", "value": "red"}},
        steps=[{"set": {"field": "tag", "value": "escalated"}}],
    )
    assert sweep(2).skipped == 1
    enrollment.refresh_from_db()
    assert enrollment.skip_reason.endswith(", 2 days ago (data condition playbooks run at most 24 hours late)")


def test_a_step_after_a_wait_found_too_late_is_skipped_too(workspace: Workspace, account: Account) -> None:
    enrollment = enrol(workspace, steps=[{"wait": {"days": 7}}, {"set": {"field": "tag", "value": "followed-up"}}])
    assert sweep().waiting == 1
    assert sweep(7 + 10).skipped == 1
    enrollment.refresh_from_db()
    assert enrollment.skip_reason.startswith("too late: step 2 due ")
    assert enrollment.skip_reason.endswith(", 10 days ago (time playbooks run at most 7 days late)")
