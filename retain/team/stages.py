"""Time in stage: how long accounts have been in their lifecycle stage, per stage and tier, against
the time each stage is expected to take.

Days in stage = today − the day the account entered its stage (`Account.stage_entered_on`, which
every stage change keeps: accounts.services writes it with the STAGE_CHANGED timeline entry).
Accounts without that day are counted as "unknown" and left out of the median and p75.

Expected days per stage (the table is shown on the report): a tier's `stage_days` in the workspace's
coverage model when it names the stage; else onboarding lasts the tier's onboarding window
(accounts.lifecycle: 60 days for community, 90 for enterprise and strategic) and the other stages
take EXPECTED_DAYS. An account longer in its stage than expected is listed, longest over first.
Churned accounts are left out (their stage has no end).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from retain.accounts.choices import Stage, Tier
from retain.accounts.lifecycle import onboarding_window_days
from retain.accounts.models import Account
from retain.team.coverage import Coverage
from retain.team.selectors import coverage_of
from retain.tenancy.models import Workspace

# Days a stage is expected to take, after onboarding (which is the tier's onboarding window).
EXPECTED_DAYS: dict[str, int] = {
    Stage.ADOPTION: 180,  # seed 004: adoption calls every two weeks for about six months
    Stage.SUCCESS: 365,  # a full contract year of realised value before renewal or expansion
    Stage.RENEWAL: 90,  # seed 002: the renewal process starts 90 days out
    Stage.EXPANSION: 120,  # an expansion opportunity open for about a quarter and a month
}
LIVE_STAGES = tuple(s for s in Stage.values if s != Stage.CHURNED)
MEDIAN_RULE = "median and p75 by the nearest-rank method over the accounts with a known stage start"


FROM_COVERAGE = "coverage model"
FROM_WINDOW = "onboarding window"
FROM_DEFAULT = "default"


def expected_with_source(stage: str, tier: str, coverage: Coverage | None = None) -> tuple[int | None, str]:
    """The days an account of `tier` is expected to spend in `stage`, and where that comes from."""
    tier_coverage = coverage.tiers.get(tier) if coverage is not None else None
    if tier_coverage is not None and stage in tier_coverage.stage_days:
        return tier_coverage.stage_days[stage], FROM_COVERAGE
    if stage == Stage.ONBOARDING:
        return onboarding_window_days(tier), FROM_WINDOW
    return EXPECTED_DAYS.get(stage), FROM_DEFAULT


def expected_days(stage: str, tier: str, coverage: Coverage | None = None) -> int | None:
    return expected_with_source(stage, tier, coverage)[0]


def expected_table(coverage: Coverage | None = None) -> list[dict[str, object]]:
    """Rows (stage, label, days per tier, where each comes from) for the report to show."""
    rows: list[dict[str, object]] = []
    for stage in LIVE_STAGES:
        found = {tier: expected_with_source(stage, tier, coverage) for tier in Tier.values}
        rows.append(
            {
                "stage": stage,
                "label": Stage(stage).label,
                "days": {tier: days for tier, (days, _) in found.items()},
                "sources": {tier: source for tier, (_, source) in found.items()},
                "source": ", ".join(sorted({source for _, source in found.values()})),
            }
        )
    return rows


def nearest_rank(values: Sequence[int], pct: float) -> int | None:
    """The pct-th percentile by nearest rank: the smallest value with at least pct% of values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Cell:
    stage: str
    tier: str
    accounts: int
    known: int
    median: int | None
    p75: int | None
    expected: int | None
    over: int

    @property
    def worked(self) -> str:
        if not self.known:
            return "no account with a known stage start"
        return (
            f"median = {self.median} d, p75 = {self.p75} d over {self.known} account{'s' if self.known != 1 else ''}"
            f" (nearest rank); {self.over} over the expected {self.expected} d"
        )


@dataclass(frozen=True)
class OverRow:
    account_id: int
    name: str
    tier: str
    stage: str
    owner: str
    entered_on: dt.date
    days: int
    expected: int

    @property
    def over_by(self) -> int:
        return self.days - self.expected


@dataclass(frozen=True)
class TimeInStage:
    today: dt.date
    cells: list[Cell]
    over: list[OverRow]
    unknown: int
    accounts: int
    expected: list[dict[str, object]]  # expected_table(): the days per stage and tier, with sources

    def cell(self, stage: str, tier: str) -> Cell | None:
        for cell in self.cells:
            if cell.stage == stage and cell.tier == tier:
                return cell
        return None


def days_in_stage(entered_on: dt.date | None, today: dt.date) -> int | None:
    return None if entered_on is None else max((today - entered_on).days, 0)


def time_in_stage(workspace: Workspace, *, today: dt.date, owner_id: int | None = None) -> TimeInStage:
    """Per stage and tier: accounts, median and p75 days in stage, how many are over the expected
    time; and the accounts over it (two queries: the coverage model and the accounts)."""
    coverage = coverage_of(workspace)
    accounts = Account.objects.filter(workspace=workspace).exclude(stage=Stage.CHURNED)
    if owner_id is not None:
        accounts = accounts.filter(owner_id=owner_id)
    rows = accounts.select_related("owner__user").order_by("name", "pk")
    days: dict[tuple[str, str], list[int]] = defaultdict(list)
    totals: dict[tuple[str, str], int] = defaultdict(int)
    over: list[OverRow] = []
    unknown = 0
    count = 0
    for account in rows:
        count += 1
        key = (account.stage, account.tier)
        totals[key] += 1
        n = days_in_stage(account.stage_entered_on, today)
        if n is None or account.stage_entered_on is None:
            unknown += 1
            continue
        days[key].append(n)
        expected = expected_days(account.stage, account.tier, coverage)
        if expected is not None and n > expected:
            over.append(
                OverRow(
                    account.pk,
                    account.name,
                    account.tier,
                    account.stage,
                    account.owner.display_name if account.owner else "",
                    account.stage_entered_on,
                    n,
                    expected,
                )
            )
    cells = []
    for stage in LIVE_STAGES:
        for tier in Tier.values:
            key = (stage, tier)
            if not totals.get(key):
                continue
            values = days[key]
            expected = expected_days(stage, tier, coverage)
            cells.append(
                Cell(
                    stage=stage,
                    tier=tier,
                    accounts=totals[key],
                    known=len(values),
                    median=nearest_rank(values, 50),
                    p75=nearest_rank(values, 75),
                    expected=expected,
                    over=sum(1 for v in values if expected is not None and v > expected),
                )
            )
    over.sort(key=lambda r: (-r.over_by, r.name))
    return TimeInStage(
        today=today, cells=cells, over=over, unknown=unknown, accounts=count, expected=expected_table(coverage)
    )
