"""The demo's history is whole and honest: every day of the year reads the same way whether its raw
events are kept or not, and nothing is dated after the build's today or before its account began.

One build for the module, as `retain demo` builds it: the default seed and raw days (30), up to
today, so that what the build writes "now" (audit entries, computed-at stamps) is not after the
demo's today. Small enough to be quick, big enough for "% green" to mean something. The churn model
step is left out (training it is most of the build); its training rows are checked directly.
"""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.db.models import Count, Sum

from retain.accounts.choices import EntryKind
from retain.accounts.ledger import load as ledgers
from retain.accounts.models import Account, TimelineEntry
from retain.accounts.selectors import rate_table
from retain.demo.generator import STEPS, build_demo, demo_delete
from retain.demo.generator.context import DemoContext
from retain.demo.generator.health import score_days
from retain.demo.generator.usage import raw_start
from retain.health.models import HealthScore
from retain.health.portfolio import portfolio
from retain.lib.dates import local_day
from retain.risk.features import MEASURE_KINDS, snapshot_rows
from retain.tenancy.models import Workspace
from retain.usage.models import DailyAccountUsage, DailyFeatureUsage, DailyUserUsage

# Its module-scoped fixture is built once: the module's tests share one xdist worker (--dist loadgroup).
pytestmark = pytest.mark.xdist_group("test_demo_history")

SEED = 42  # the command's default
SIZE = 120
MAX_WEEKLY_MOVE = 0.15
# The measures that read the per-user and per-feature rollups (empty before the raw events, once).
USER_AND_FEATURE_KINDS = ("feature_breadth", "seat_utilisation", "tickets_per_active_user")
# Dated fields that name a deadline or the end of a period: they may lie ahead of today.
AHEAD = {
    "due_on",
    "due_at",
    "expires_at",
    "term_end",
    "period_end",
    "close_date",
    "surveys_snoozed_until",
    "ends_on",
    "meeting_on",
}  # a review's quarter ends, and its meeting is planned, ahead
# Dated tables that belong to no workspace (logins and their sessions).
UNSCOPED = {"auth.user", "sessions.session"}


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[DemoContext]:
    with django_db_blocker.unblock():
        ctx = build_demo(seed=SEED, size=SIZE, steps=[s for s in STEPS if s.name != "churn model"])
        yield ctx
        demo_delete()


def _weekly(ctx: DemoContext) -> list[dt.date]:
    return [day for day in score_days(ctx.today) if (ctx.today - day).days % 7 == 0]


# No step where the raw events begin ---------------------------------------------------------------


@pytest.mark.django_db
def test_the_weekly_share_of_green_moves_less_than_15_points_from_week_to_week(demo: DemoContext) -> None:
    """The series the health dashboard charts (portfolio.band_trend) for the whole book."""
    trend = portfolio(Account.objects.filter(workspace=demo.ws), workspace_id=demo.ws.pk, day=demo.today).trend
    assert len(trend) == 12
    assert min(week.scored for week in trend) >= 50  # enough accounts for the share to mean something
    shares = [week.share("green") or 0.0 for week in trend]
    # The history: every week but the last, which is today's scores on today's partial day. Built
    # just after midnight, today holds minutes of usage and its share drops (seen 2026-12-07 at
    # 00:21 UTC: 68.0% green a week earlier, 51.9% today); that is the build's clock, not a step
    # in the history this checks.
    moves = [abs(b - a) for a, b in itertools.pairwise(shares[:-1])]
    shown = ", ".join(f"{100 * share:.1f}% of {week.scored}" for share, week in zip(shares, trend, strict=True))
    assert max(moves) < MAX_WEEKLY_MOVE, f"weekly % green: {shown}"


@pytest.mark.django_db
def test_older_days_have_the_per_user_and_per_feature_rollups_the_fold_writes(demo: DemoContext) -> None:
    first_raw = raw_start(demo)
    old = DailyAccountUsage.objects.filter(workspace=demo.ws, day__lt=first_raw)
    assert old.count() > 1000
    users = {
        (row["account_id"], row["day"]): (row["n"], row["events"])
        for row in DailyUserUsage.objects.filter(workspace=demo.ws, day__lt=first_raw)
        .values("account_id", "day")
        .annotate(n=Count("id"), events=Sum("events"))
    }
    for row in old:
        # Every event has a user: the account's day is the sum of its users' days, as the fold makes it.
        assert users[(row.account_id, row.day)] == (row.active_users, row.events)
    assert DailyFeatureUsage.objects.filter(workspace=demo.ws, day__lt=first_raw).count() > 1000
    assert DailyUserUsage.objects.filter(workspace=demo.ws, day__lt=first_raw).count() == sum(
        old.values_list("active_users", flat=True)
    )


@pytest.mark.django_db
def test_each_account_s_score_history_has_no_step_at_the_raw_events_boundary(demo: DemoContext) -> None:
    """The measures read from the per-user and per-feature rollups keep their level across the day the
    raw events begin, and so do the overall scores of the accounts scored on both sides of it."""
    first_raw = raw_start(demo)
    weekly = _weekly(demo)
    before = max(day for day in weekly if day < first_raw)
    after = min(day for day in weekly if day >= first_raw)
    scores = {
        (row.account_id, row.day): row
        for row in HealthScore.objects.filter(workspace=demo.ws, day__in=[before, after], overall__isnull=False)
    }
    both = [pk for pk, day in scores if day == before and (pk, after) in scores]
    assert len(both) >= 40

    def raw(day: dt.date, kind: str) -> list[float | None]:
        return [m["raw"] for pk in both for m in scores[(pk, day)].measures if m["kind"] == kind]

    breadth = [statistics.mean(v for v in raw(day, "feature_breadth") if v is not None) for day in (before, after)]
    assert 0.8 <= breadth[0] / breadth[1] <= 1.25, breadth
    # Tickets per active user is undefined without the per-user rollups: filled as often on both sides.
    filled = [sum(v is not None for v in raw(day, "tickets_per_active_user")) for day in (before, after)]
    assert filled[1] > 0 and filled[0] >= 0.9 * filled[1], filled
    moves = [scores[(pk, after)].overall - scores[(pk, before)].overall for pk in both]  # type: ignore[operator]  # both days are scored, so the overalls are numbers
    assert abs(statistics.mean(moves)) < 4, statistics.mean(moves)


@pytest.mark.django_db
def test_band_changes_cluster_on_no_day_and_none_blames_empty_rollups(demo: DemoContext) -> None:
    entries = TimelineEntry.objects.filter(workspace=demo.ws, kind=EntryKind.HEALTH_BAND_CHANGED)
    by_day = Counter(dt.date.fromisoformat(entry.data["day"]) for entry in entries)
    weekly = _weekly(demo)[1:]  # the first scored day changes nothing: there is no earlier score
    counts = [by_day.get(day, 0) for day in weekly]
    assert sum(counts) > 0
    assert max(counts) <= 2 * statistics.median(counts) + 5, dict(zip(weekly, counts, strict=True))
    first_raw = raw_start(demo)
    boundary = min(day for day in weekly if day >= first_raw)
    at_boundary = [entry for entry in entries if entry.data["day"] == boundary.isoformat()]
    for entry in at_boundary:
        assert "Health turned" in entry.summary
    # What the missing rollups looked like: breadth (and seats in use) jumping up for many accounts at once.
    jumped = [
        entry
        for entry in at_boundary
        if any(f["kind"] in USER_AND_FEATURE_KINDS and f["delta"] >= 5 for f in entry.data.get("factors", []))
    ]
    assert len(jumped) <= max(2, len(at_boundary) // 4), [entry.summary for entry in jumped]


@pytest.mark.django_db
def test_the_churn_model_trains_on_rows_whose_usage_measures_are_filled(demo: DemoContext) -> None:
    """A monthly training snapshot from before the raw events reads breadth and tickets like a recent one."""
    books = ledgers(demo.ws)
    table = rate_table(demo.ws)
    column = {kind: index for index, kind in enumerate(MEASURE_KINDS)}
    for day in (raw_start(demo) - dt.timedelta(days=120), demo.today - dt.timedelta(days=7)):
        _, rows = snapshot_rows(demo.ws, books, day, table, horizon_days=None)
        active = [row for row in rows if row[column["active_days"]] not in ("", "0.0")]
        assert len(active) >= 40, day
        broad = [row for row in active if row[column["feature_breadth"]] not in ("", "0.0")]
        assert len(broad) >= 0.95 * len(active), day
        per_user = [row for row in active if row[column["tickets_per_active_user"]] != ""]
        assert len(per_user) == len(active), day


# Nothing in the future, nothing before the account ------------------------------------------------


def _path(model: type[models.Model], target: type[models.Model], depth: int = 4) -> str | None:
    """The shortest lookup from `model` to `target` through foreign keys ("" for the target itself)."""
    if model is target:
        return ""
    if depth == 0:
        return None
    found: str | None = None
    for field in model._meta.concrete_fields:
        if isinstance(field, models.ForeignKey):
            rest = _path(field.related_model, target, depth - 1)  # type: ignore[arg-type]  # a relation's model is a model class here
            if rest is not None:
                lookup = f"{field.name}__{rest}" if rest else field.name
                if found is None or lookup.count("__") < found.count("__"):
                    found = lookup
    return found


def dated_fields() -> list[tuple[type[models.Model], list[models.DateField]]]:
    """Every model with a date or time column (DateTimeField is a DateField), from the models."""
    found = []
    for model in apps.get_models():
        dated = [field for field in model._meta.concrete_fields if isinstance(field, models.DateField)]
        if dated:
            found.append((model, dated))
    return found


def test_every_dated_table_is_scoped_to_a_workspace_or_known_to_be_global() -> None:
    unscoped = {model._meta.label_lower for model, _ in dated_fields() if _path(model, Workspace) is None}
    assert unscoped == UNSCOPED


@pytest.mark.django_db
def test_nothing_is_dated_after_today_or_before_its_account_began(demo: DemoContext) -> None:
    ws = demo.ws
    tz = ws.time_zone
    now = dt.datetime.now(dt.UTC)
    starts = dict(Account.objects.filter(workspace=ws).values_list("pk", "customer_since"))
    assert all(starts.values())
    checked: Counter[str] = Counter()
    problems: list[str] = []
    for model, fields in dated_fields():
        to_workspace = _path(model, Workspace)
        if to_workspace is None:
            continue
        to_account = _path(model, Account)
        rows = model._default_manager.filter(**{to_workspace or "pk": ws.pk})
        names = [field.name for field in fields] + ([to_account or "pk"] if to_account is not None else [])
        for row in rows.values_list(*names):
            account_id = row[-1] if to_account is not None else None
            for field, value in zip(fields, row, strict=False):
                if value is None:
                    continue
                label = f"{model._meta.label}.{field.name}"
                checked[label] += 1
                is_moment = isinstance(value, dt.datetime)
                day = local_day(value, tz) if is_moment else value
                if field.name not in AHEAD and (value > now if is_moment else day > demo.today):
                    problems.append(f"{label} = {value} is after now ({now:%Y-%m-%d %H:%M})")
                start = starts.get(account_id) if account_id is not None else None
                if start is not None and day < start:
                    problems.append(f"{label} = {value} is before its account began ({start})")
    covered = {"accounts.TimelineEntry.occurred_at", "accounts.Touchpoint.occurred_at", "health.HealthScore.day"}
    assert covered | {"tasks.Task.due_on", "usage.DailyUserUsage.day"} <= set(checked)
    assert not problems, f"{len(problems)} misdated values, e.g. {problems[:8]}"
