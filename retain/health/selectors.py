"""Reads of health scores and pulses, always for one account or one workspace."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import F, QuerySet

from retain.accounts.models import Account
from retain.accounts.selectors import workspace_today
from retain.health import definition
from retain.health.catalogue import describe
from retain.health.choices import Band, ScorecardStatus
from retain.health.models import HealthScore, Pulse, Scorecard
from retain.health.scoring import Factor, HealthResult, MeasureResult, explain_change, signed
from retain.health.scoring import Scorecard as Card
from retain.tenancy.models import Workspace


def latest_score(account: Account) -> HealthScore | None:
    """The account's most recent stored score, whatever day it is for."""
    return account.health_scores.select_related("scorecard").order_by("-day").first()


def score_history(account: Account, days: int, *, today: dt.date | None = None) -> QuerySet[HealthScore]:
    """One score per day for the `days` days up to today (both ends included), oldest first."""
    today = today or workspace_today(account.workspace)
    since = today - dt.timedelta(days=days - 1)
    return account.health_scores.filter(day__gte=since, day__lte=today).order_by("day")


def scores_on(workspace: Workspace, day: dt.date) -> QuerySet[HealthScore]:
    """Every account's score on one day, for dashboards (% green, band counts, the worst first)."""
    return (
        HealthScore.objects.filter(workspace=workspace, day=day)
        .select_related("account", "scorecard")
        # Unscored accounts last on every database (PostgreSQL and SQLite disagree by default).
        .order_by(F("overall").asc(nulls_last=True), "account__name", "account_id")
    )


def current_pulse(account: Account, *, day: dt.date | None = None) -> Pulse | None:
    """The CSM's latest pulse set on or before `day` (today when not given), or None if never set."""
    day = day or workspace_today(account.workspace)
    return (
        account.pulses.filter(set_on__lte=day)
        .select_related("member__user")
        .order_by("-set_on", "-created_at", "-id")
        .first()
    )


# The account page's health card ------------------------------------------------------------------

WEEK = 7


def scorecard_card(scorecard: Scorecard) -> Card | None:
    """The definition a stored scorecard version scores with (None if it no longer validates)."""
    try:
        return definition_of(scorecard)
    except definition.DefinitionError:
        return None


@dataclass(frozen=True)
class BreakdownRow:
    label: str
    group: str | None
    words: str
    score: float | None
    weight: float
    share: float | None  # the effective weight, 0-1
    contribution: float
    missing: bool


@dataclass(frozen=True)
class Breakdown:
    """A score explained: each measure's part in it, and what moved since the score a week before."""

    card: Card | None
    rows: list[BreakdownRow]
    previous: HealthScore | None  # the latest score at least a week older
    delta: str | None  # the overall's signed change since `previous`
    changes: list[Factor]  # the measures that moved it, largest first


def health_breakdown(account: Account, latest: HealthScore | None) -> Breakdown:
    """The breakdown of `latest` (the account's newest score) and its week-over-week change."""
    previous: HealthScore | None = None
    changes: list[Factor] = []
    rows: list[BreakdownRow] = []
    card = scorecard_card(latest.scorecard) if latest else None
    params = card.params() if card else {}
    if latest is not None:
        composition = card.composition if card else ""
        current = stored_result(latest, composition)
        rows = [
            BreakdownRow(
                label=m.label,
                group=m.group,
                words=describe(m.kind, m.raw, params.get(m.kind)),
                score=m.score,
                weight=m.weight,
                share=m.effective_weight,
                contribution=m.contribution,
                missing=m.missing,
            )
            for m in current.measures
        ]
        previous = account.health_scores.filter(day__lte=latest.day - dt.timedelta(days=WEEK)).order_by("-day").first()
        if previous is not None:
            changes = explain_change(stored_result(previous, composition), current, params)
    delta = None
    if latest and previous and latest.overall is not None and previous.overall is not None:
        delta = signed(latest.overall - previous.overall)
    return Breakdown(card=card, rows=rows, previous=previous, delta=delta, changes=changes)


def scorecards_published(workspace: Workspace) -> list[Scorecard]:
    """The scorecards in use, in the order they are tried: by priority, the default last."""
    rows = Scorecard.objects.filter(workspace=workspace, status=ScorecardStatus.PUBLISHED)
    return sorted(rows, key=lambda row: (row.is_default, row.priority, row.name))


# Stored scores read back ------------------------------------------------------------------------


def definition_of(scorecard: Scorecard) -> Card:
    """The validated definition a stored scorecard version scores with."""
    return definition.from_data(scorecard.parsed, source=f"{scorecard.name} v{scorecard.version}")


def stored_result(row: HealthScore, composition: str | None = None) -> HealthResult:
    """A stored score read back as a scoring result, e.g. for `explain_change` between two days
    (measures only: groups are not stored). Reads the scorecard unless `composition` is given."""
    if composition is None:
        composition = str(row.scorecard.parsed.get("composition", ""))
    return HealthResult(
        overall=row.overall,
        band=None if row.band == Band.BLANK else row.band,
        composition=composition,
        measures=tuple(_measure_from(item) for item in row.measures or ()),
    )


def _measure_from(item: Mapping[str, Any]) -> MeasureResult:
    return MeasureResult(
        kind=item["kind"],
        label=item.get("label", item["kind"]),
        group=item.get("group"),
        raw=item.get("raw"),
        score=item.get("score"),
        weight=item.get("weight", 0.0),
        effective_weight=item.get("effective_weight"),
        contribution=item.get("contribution", 0.0),
        missing=item.get("missing", item.get("raw") is None),
        decided=item.get("decided", False),
    )
