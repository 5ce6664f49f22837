"""Time in stage (median, p75, over the expected days) and portfolio targets (the same figures the
health, revenue and QBR-coverage code gives; progress and the straight line to the target)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from retain.accounts import services as account_services
from retain.accounts.figures import Period
from retain.accounts.models import Account
from retain.accounts.selectors import workspace_today
from retain.health import portfolio
from retain.health.models import HealthScore, Scorecard
from retain.health.services import scorecards_install_defaults
from retain.metrics import engine
from retain.reports.selectors import qbr_coverage
from retain.team import stages, targets
from retain.team.models import PortfolioTarget
from retain.team.tests.conftest import new_account
from retain.tenancy.models import Member, Workspace


def _in_stage(account: Account, days: int | None, today: dt.date) -> None:
    Account.objects.filter(pk=account.pk).update(
        stage_entered_on=None if days is None else today - dt.timedelta(days=days)
    )


def test_nearest_rank() -> None:
    assert stages.nearest_rank([], 50) is None
    assert stages.nearest_rank([10], 75) == 10
    assert stages.nearest_rank([40, 10, 30, 20], 50) == 20
    assert stages.nearest_rank([40, 10, 30, 20], 75) == 30


def test_time_in_stage_per_stage_and_tier_lists_those_over_the_expected_days(workspace: Workspace) -> None:
    today = workspace_today(workspace)
    days = [10, 100, 200, 300]
    for i, n in enumerate(days):
        _in_stage(new_account(workspace, f"A{i}", tier="enterprise", stage="adoption"), n, today)
    _in_stage(new_account(workspace, "Onb", tier="community", stage="onboarding"), 61, today)
    _in_stage(new_account(workspace, "Unknown", tier="enterprise", stage="adoption"), None, today)
    _in_stage(new_account(workspace, "Gone", tier="enterprise", stage="churned"), 500, today)
    report = stages.time_in_stage(workspace, today=today)
    cell = report.cell("adoption", "enterprise")
    assert cell is not None
    assert (cell.accounts, cell.known, cell.median, cell.p75, cell.expected, cell.over) == (5, 4, 100, 200, 180, 2)
    onboarding = report.cell("onboarding", "community")
    assert onboarding is not None and (onboarding.expected, onboarding.over) == (60, 1)
    assert [(r.name, r.over_by) for r in report.over] == [("A3", 120), ("A2", 20), ("Onb", 1)]
    assert (report.unknown, report.accounts) == (1, 6)


def test_progress_and_the_expected_line() -> None:
    assert targets.progress_pct(0.34, 0.295, 0.25) == pytest.approx(50.0)
    assert targets.progress_pct(0.34, 0.40, 0.25) == pytest.approx(-66.667, abs=0.01)
    assert targets.progress_pct(None, 0.3, 0.25) is None
    target = PortfolioTarget(
        figure="unhealthy_share",
        start_value=0.34,
        start_on=dt.date(2026, 1, 1),
        target_value=0.25,
        due_on=dt.date(2026, 1, 11),
    )
    assert targets.expected_by(target, dt.date(2026, 1, 6)) == pytest.approx(0.295)
    assert targets.expected_by(target, dt.date(2026, 3, 1)) == 0.25


def _score(workspace: Workspace, account: Account, day: dt.date, band: str, scorecard: Scorecard) -> None:
    overall = {"red": 20.0, "yellow": 55.0, "green": 85.0}[band]
    HealthScore.objects.create(
        workspace=workspace,
        account=account,
        day=day,
        overall=overall,
        band=band,
        scorecard=scorecard,
        computed_at=timezone.now(),
    )


def test_unhealthy_share_is_the_health_dashboards_red_over_scored(workspace: Workspace) -> None:
    today = workspace_today(workspace)
    scorecards_install_defaults(workspace=workspace)
    scorecard = Scorecard.objects.filter(workspace=workspace).first()
    assert scorecard is not None
    for i, band in enumerate(["red", "red", "green", "yellow"]):
        _score(workspace, new_account(workspace, f"S{i}"), today, band, scorecard)
    new_account(workspace, "Unscored")
    figure = targets.unhealthy_current(workspace, today)
    data = portfolio.portfolio(Account.objects.filter(workspace=workspace), workspace_id=workspace.pk, day=today)
    assert figure.value == data.counts["red"] / data.scored == 0.5
    assert figure.inputs == {"red": 2, "scored": 4}
    history = targets.unhealthy_history(workspace, today, 3)
    assert [p.value for p in history] == [None, None, 0.5]


def test_nrr_and_qbr_coverage_are_the_revenue_and_review_pages_figures(workspace: Workspace) -> None:
    today = workspace_today(workspace)
    strategic = new_account(workspace, "Strategic one", tier="strategic")
    account_services.subscription_create(
        account=strategic, actor=None, via="test", product="Hub", mrr=Decimal(1000), seats=5,
        started_on=today - dt.timedelta(days=400), term_end=today + dt.timedelta(days=30),
    )  # fmt: skip
    nrr = targets.nrr_current(workspace, today)
    assert nrr.value == 1.0
    period = Period(today - dt.timedelta(days=364), today, workspace.time_zone)
    assert nrr.value == engine.revenue_metrics(workspace, period).nrr.value
    qbr = targets.qbr_current(workspace, today)
    assert qbr.value == 0.0 == qbr_coverage(workspace, today=today).overall.value


def test_setting_a_target_keeps_its_start_and_checks_its_fields(workspace: Workspace, mark: Member) -> None:
    today = workspace_today(workspace)
    saved = targets.target_set(
        workspace=workspace,
        actor=mark,
        figure="unhealthy_share",
        target_pct="25",
        due_on=today + dt.timedelta(days=90),
        today=today,
        start_pct="34%",
    )
    assert (saved.start_value, saved.target_value) == (0.34, 0.25)
    again = targets.target_set(
        workspace=workspace,
        actor=mark,
        figure="unhealthy_share",
        target_pct="20",
        due_on=today + dt.timedelta(days=120),
        today=today,
    )
    assert again.pk == saved.pk and again.start_value == 0.34 and again.target_value == 0.2
    with pytest.raises(ValidationError) as caught:
        targets.target_set(workspace=workspace, actor=mark, figure="nrr", target_pct="120", due_on=today, today=today)
    assert "due_on" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        targets.target_set(workspace=workspace, actor=mark, figure="arr", target_pct="x", due_on=today, today=today)
    assert "figure" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        targets.target_set(
            workspace=workspace, actor=mark, figure="nrr", target_pct="lots", due_on=today + dt.timedelta(days=1),
            today=today,
        )  # fmt: skip
    assert "target" in caught.value.message_dict
    assert PortfolioTarget.objects.count() == 1


def test_the_coverage_models_stage_days_set_the_expected_time(workspace: Workspace, mark: Member) -> None:
    from retain.lib.definitions import DefinitionError
    from retain.team import services
    from retain.team.coverage import DEFAULT_SOURCE, parse_coverage

    today = workspace_today(workspace)
    account = new_account(workspace, "Slow adopter", tier="enterprise", stage="adoption")
    _in_stage(account, 100, today)
    assert stages.time_in_stage(workspace, today=today).over == []
    source = DEFAULT_SOURCE.replace("  enterprise:\n", "  enterprise:\n    stage_days: {adoption: 60}\n", 1)
    assert source != DEFAULT_SOURCE
    services.coverage_save(workspace=workspace, actor=mark, source=source)
    report = stages.time_in_stage(workspace, today=today)
    assert [(r.name, r.expected, r.over_by) for r in report.over] == [("Slow adopter", 60, 40)]
    adoption = next(row for row in report.expected if row["stage"] == "adoption")
    assert adoption["sources"] == {"community": "default", "enterprise": "coverage model", "strategic": "default"}
    with pytest.raises(DefinitionError) as caught:
        parse_coverage(source.replace("{adoption: 60}", "{adoption: 0, dormant: 5}"), "coverage.yaml")
    assert any("stage_days.adoption" in line for line in caught.value.lines)
    assert any("dormant" in line for line in caught.value.lines)
