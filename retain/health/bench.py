"""`retain bench health`: a full re-score timed against one hand-written INSERT … SELECT, same run.

The runner makes a fresh database (a SQLite file in a temporary folder, or a PostgreSQL database
made for the run and dropped after), migrates it in a subprocess with its own environment, and runs
`work` inside `retain shell` there:

1. N accounts, each with one subscription (seats, MRR) and its ledger movement, and a synthetic
   product-usage process over the 90 days to the scoring day: each account has an engagement level
   that sets how often it is active, how many of its seats use it, how many features it touches
   and how busy each day is; tickets now and then. Days are planned as (users and their event
   counts, features and theirs, logins, tickets).
2. Rollups (`rollup_s`): with up to `FOLD_SAMPLE` events the plan is written as raw events and
   folded by `usage.rollups.rollups_fold`, timed. Above that, folding is linear in events and ten
   million raw rows do not fit this machine's budget, so the same plan is written straight into
   the rollup tables and `rollup_s` is the fold of a `FOLD_SAMPLE`-event sample of the same
   process in a second workspace; the output says so.
3. `rescore_s`: `health_recompute` of the workspace (measures, scoring, writing the day's rows)
   with `REFERENCE` as its only scorecard.
4. `raw_s`: one INSERT … SELECT that computes the same seven measures from the same rollup tables
   and the subscription ledger, scores them with the same rules and the same re-weighted average
   inline, bands them and writes the same rows (with their per-measure JSON) into the same table,
   dated the day after (the unique (account, day) pair keeps the two sets apart).

Both are then compared: the same number of rows, and the same overall score (to 0.1) and band for
a sample of accounts.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from retain.usage.bench.runner import BenchError

FOLD_SAMPLE = 1_000_000
DAYS = 90
FEATURES = tuple(
    f"{name}"
    for name in (
        "Landing Pages",
        "Email Editor",
        "Forms",
        "Lead Scoring",
        "Social Posts",
        "Reports",
        "A/B Tests",
        "Contacts",
        "Segments",
        "Workflows",
        "Ads",
        "Chat",
    )
)
SAMPLE = 200  # accounts whose scores are compared one by one
# The last line of the output, in this order.
FIGURES = ("accounts", "events", "rollup_s", "rescore_s", "raw_s", "ratio")

REFERENCE = """\
name: Bench reference
description: The scorecard both sides of `retain bench health` compute (linear and band rules, weighted average).
applies_to: {default: true}
priority: 1000
composition: weighted_average
missing: reweight
bands: {red_below: 40, green_from: 70}
measures:
- kind: active_days
  label: Active days
  weight: 25
  scoring:
    linear: {from: 8, to: 24}
- kind: logins
  label: Logins
  weight: 10
  scoring:
    bands:
    - {below: 5, score: 0}
    - {below: 20, score: 50}
    - {else: 100}
- kind: active_users_per_seat
  label: Active users per seat
  weight: 15
  scoring:
    linear: {from: 0.05, to: 0.5}
- kind: usage_trend
  label: Usage trend
  weight: 15
  scoring:
    bounded_linear: {floor: -0.5, cap: 0.1, min_score: 0, max_score: 100}
- kind: feature_breadth
  label: Feature breadth
  weight: 20
  scoring:
    linear: {from: 2, to: 8}
- kind: seat_utilisation
  label: Seat utilisation
  weight: 10
  scoring:
    linear: {from: 0.1, to: 0.8}
- kind: open_tickets
  label: Open tickets
  weight: 5
  scoring:
    bands:
    - {below: 2, score: 100}
    - {below: 5, score: 60}
    - {else: 20}
"""


def _say(line: str) -> None:
    """A progress line (stderr: the figures are the one `RESULT` line on stdout)."""
    print(line, file=sys.stderr, flush=True)


# The synthetic usage process -----------------------------------------------------------------------


@dataclass(frozen=True)
class AccountPlan:
    seats: int
    active_share: float  # chance of any use on a day
    users: int  # size of the account's user pool (up to its seats)
    breadth: int  # features it uses
    busy: float  # mean events per active day (before scaling to the requested total)


@dataclass(frozen=True)
class DayPlan:
    day: dt.date
    users: dict[str, int]  # user id → events (each user's first event is a login)
    features: dict[str, int]
    tickets_created: int
    tickets_solved: int

    @property
    def events(self) -> int:
        return sum(self.users.values())


def plan_accounts(accounts: int, seed: int) -> list[AccountPlan]:
    rng = random.Random(seed)
    plans = []
    for _ in range(accounts):
        engagement = rng.betavariate(2, 2)
        seats = rng.randint(5, 60)
        plans.append(
            AccountPlan(
                seats=seats,
                active_share=0.2 + 0.75 * engagement,
                users=max(1, round(seats * (0.15 + 0.7 * engagement))),
                breadth=max(1, round(1 + engagement * (len(FEATURES) - 1))),
                busy=0.5 + engagement,
            )
        )
    return plans


def plan_days(
    index: int, plan: AccountPlan, last_day: dt.date, per_active_day: float, seed: int, days: int = DAYS
) -> Iterator[DayPlan]:
    """One account's `days` days to `last_day`: who was active, how much, on which features."""
    rng = random.Random(seed * 1_000_003 + index)
    # Some accounts fade over the last weeks, so the usage trend has something to show.
    fading = rng.random() < 0.25
    for offset in range(days - 1, -1, -1):
        day = last_day - dt.timedelta(days=offset)
        share = plan.active_share * (0.5 if fading and offset < 14 else 1.0)
        if rng.random() >= share:
            continue
        active = max(1, min(plan.users, round(rng.gauss(plan.users * 0.4, 1 + plan.users * 0.1))))
        pool = rng.sample(range(plan.users), active)
        created = 1 if rng.random() < 0.06 else 0
        solved = 1 if rng.random() < 0.05 else 0
        # Every active user signs in once; tickets are events too.
        events = max(active + created + solved, round(rng.expovariate(1 / (per_active_day * plan.busy))))
        uses = max(0, events - active - created - solved)
        users = {f"u{index}-{n}": 1 for n in pool}
        keys = list(users)
        for _ in range(events - active):
            users[keys[rng.randrange(active)]] += 1
        features: dict[str, int] = {}
        for _ in range(uses):
            name = FEATURES[rng.randrange(plan.breadth)]
            features[name] = features.get(name, 0) + 1
        yield DayPlan(day, users, features, created, solved)


def calibrate(plans: list[AccountPlan], events: int, seed: int, day: dt.date, days: int = DAYS) -> float:
    """The mean events per active day (before each account's `busy`) that gives about `events` in all.

    Every active user's sign-in sets a floor under a day's events, so the scale is found by trial
    on a sample of accounts rather than by formula.
    """
    sample = plans[: min(len(plans), 300)]
    scale = events / max(1.0, sum(p.active_share * days * p.busy for p in plans))
    for _ in range(4):
        made = sum(d.events for i, p in enumerate(sample) for d in plan_days(i, p, day, scale, seed, days))
        wanted = events * len(sample) / len(plans)
        if not made or abs(made - wanted) < 0.02 * wanted:
            break
        scale *= wanted / made
    return scale


# Writing the data (inside the configured process) ---------------------------------------------------


def _create_accounts(workspace: Any, plans: list[AccountPlan], day: dt.date) -> list[int]:
    from retain.accounts.choices import MovementKind
    from retain.accounts.models import Account, Subscription, SubscriptionMovement

    accounts = Account.objects.bulk_create(
        [Account(workspace=workspace, name=f"Bench account {i}", external_id=f"bench-{i}") for i in range(len(plans))],
        batch_size=2000,
    )
    # Paying customers for 200 days, past every onboarding window: every account is scored, as the
    # raw reference (which knows nothing of accounts not scored yet) assumes.
    started = day - dt.timedelta(days=200)
    subscriptions = Subscription.objects.bulk_create(
        [
            Subscription(
                workspace=workspace,
                account=account,
                product="Marketing Hub",
                currency="USD",
                seats=plan.seats,
                mrr=Decimal(48 * plan.seats),
                started_on=started,
                term_end=started + dt.timedelta(days=365),
            )
            for account, plan in zip(accounts, plans, strict=True)
        ],
        batch_size=2000,
    )
    SubscriptionMovement.objects.bulk_create(
        [
            SubscriptionMovement(
                workspace=workspace,
                subscription=subscription,
                account_id=subscription.account_id,
                effective_on=started,
                kind=MovementKind.NEW,
                mrr_before=Decimal(0),
                mrr_after=subscription.mrr,
                seats_before=0,
                seats_after=subscription.seats,
                product_after=subscription.product,
                currency="USD",
            )
            for subscription in subscriptions
        ],
        batch_size=2000,
    )
    return [account.pk for account in accounts]


def _write(sql: str, rows: list[tuple[Any, ...]]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def rollup_rows(
    workspace_id: int, account_id: int, plan: DayPlan
) -> tuple[tuple[Any, ...], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """A planned day's rollup rows, as the fold of its events writes them: the account's (workspace,
    account, day, events, active users, logins, tickets created, tickets solved, key events), and
    (workspace, account, user or feature, day, events) per user and per feature."""
    n_users = len(plan.users)
    account_row = (workspace_id, account_id, plan.day, plan.events, n_users, n_users,
                   plan.tickets_created, plan.tickets_solved, "{}")  # fmt: skip
    users = [(workspace_id, account_id, user, plan.day, n) for user, n in plan.users.items()]
    features = [(workspace_id, account_id, name, plan.day, n) for name, n in plan.features.items()]
    return account_row, users, features


def _write_rollups(workspace_id: int, account_ids: list[int], days: Callable[[int], Iterator[DayPlan]]) -> int:
    """The planned days straight into the three rollup tables; returns the events they stand for."""
    accounts_sql = (
        "INSERT INTO usage_dailyaccountusage (workspace_id, account_id, day, events, active_users, logins, "
        "tickets_created, tickets_escalated, tickets_solved, key_events) VALUES (%s, %s, %s, %s, %s, %s, %s, 0, %s, %s)"
    )
    per_key = "INSERT INTO {} (workspace_id, account_id, {}, day, events) VALUES (%s, %s, %s, %s, %s)"
    users_sql = per_key.format("usage_dailyuserusage", "user_id")
    features_sql = per_key.format("usage_dailyfeatureusage", "feature")
    total = 0
    batch: dict[str, list[tuple[Any, ...]]] = {"a": [], "u": [], "f": []}

    def flush() -> None:
        _write(accounts_sql, batch["a"])
        _write(users_sql, batch["u"])
        _write(features_sql, batch["f"])
        for rows in batch.values():
            rows.clear()

    for index, account_id in enumerate(account_ids):
        for plan in days(index):
            account_row, user_rows, feature_rows = rollup_rows(workspace_id, account_id, plan)
            batch["a"].append(account_row)
            batch["u"].extend(user_rows)
            batch["f"].extend(feature_rows)
            total += plan.events
        if len(batch["u"]) > 20_000:
            flush()
    flush()
    return total


def event_rows(account_ids: list[int], days: Callable[[int], Iterator[DayPlan]]) -> Iterator[tuple[Any, ...]]:
    """The planned days as raw track events, one (message_id, name, user_id, group_id, account_id,
    timestamp) tuple each: every active user's first event of a day is a login, then tickets, then
    feature use, a second apart from 08:00 UTC."""
    for index, account_id in enumerate(account_ids):
        for plan in days(index):
            yield from day_events(index, account_id, plan)


def day_events(index: int, account_id: int, plan: DayPlan) -> Iterator[tuple[Any, ...]]:
    """One planned day of one account as raw track events (see `event_rows`)."""
    from retain.usage.vocabulary import LOGIN, TICKET_CREATED, TICKET_SOLVED

    group = f"bench-{index}"
    start = dt.datetime.combine(plan.day, dt.time(8), tzinfo=dt.UTC)
    names = [TICKET_CREATED] * plan.tickets_created + [TICKET_SOLVED] * plan.tickets_solved
    for name, n in plan.features.items():
        names.extend([name] * n)
    slots = list(plan.users)  # every active user's first event: a login
    for user, n in plan.users.items():
        slots.extend([user] * (n - 1))
    names = [LOGIN] * len(plan.users) + names
    for position, (user, name) in enumerate(zip(slots, names, strict=True)):
        yield (f"{account_id}-{plan.day}-{position}", name, user, group, account_id,
               start + dt.timedelta(seconds=position))  # fmt: skip


def _write_events(workspace_id: int, account_ids: list[int], days: Callable[[int], Iterator[DayPlan]]) -> int:
    """The planned days as raw track events (what ingest would have stored); returns how many."""
    import orjson
    from django.db import connection

    sqlite = connection.vendor == "sqlite"
    received = dt.datetime.now(dt.UTC)

    def when(value: dt.datetime) -> Any:
        return value.replace(tzinfo=None).isoformat(" ") if sqlite else value

    def as_json(value: Any) -> Any:
        if sqlite:
            return orjson.dumps(value).decode()
        from psycopg.types.json import Jsonb

        return Jsonb(value)

    sql = (
        "INSERT INTO usage_event (workspace_id, message_id, type, name, user_id, anonymous_id, group_id, account_id, "
        "properties, timestamp, received_at, write_key_id) "
        "VALUES (%s, %s, 'track', %s, %s, '', %s, %s, %s, %s, %s, NULL)"
    )
    empty = as_json({})
    received_at = when(received)
    rows: list[tuple[Any, ...]] = []
    total = 0
    for message_id, name, user, group, account_id, timestamp in event_rows(account_ids, days):
        total += 1
        rows.append((workspace_id, message_id, name, user, group, account_id, empty, when(timestamp), received_at))
        if len(rows) >= 20_000:
            _write(sql, rows)
            rows.clear()
    _write(sql, rows)
    return total


# The raw reference -----------------------------------------------------------------------------------


def _number(value: float, vendor: str) -> str:
    """A constant of the reference's arithmetic. PostgreSQL reads `100.0` as numeric, whose
    arithmetic is several times slower than float8's; Retain computes on floats too."""
    text = repr(float(value))
    return text if vendor == "sqlite" else f"{text}::float8"


def _rule_sql(rule: Any, value: str, vendor: str) -> str:
    """A scoring rule as a SQL expression of a raw value (NULL stays NULL: missing)."""
    from retain.health.scoring import BELOW, Bands, BoundedLinear, Linear

    least, greatest = ("MIN", "MAX") if vendor == "sqlite" else ("LEAST", "GREATEST")

    def n(number: float) -> str:
        return _number(number, vendor)

    def clamp(expr: str, low: float, high: float) -> str:
        return f"{least}({greatest}({expr}, {n(low)}), {n(high)})"

    if isinstance(rule, Linear):
        return clamp(f"{n(100.0)} * ({value} - {n(rule.start)}) / {n(rule.end - rule.start)}", 0.0, 100.0)
    if isinstance(rule, BoundedLinear):
        share = clamp(f"({value} - {n(rule.floor)}) / {n(rule.cap - rule.floor)}", 0.0, 1.0)
        return f"{n(rule.min_score)} + {share} * {n(rule.max_score - rule.min_score)}"
    if isinstance(rule, Bands):
        op = "<" if rule.comparison == BELOW else ">="
        steps = " ".join(f"WHEN {value} {op} {n(t)} THEN {n(s)}" for t, s in rule.steps)
        return f"CASE WHEN {value} IS NULL THEN NULL {steps} ELSE {n(rule.otherwise)} END"
    raise BenchError(f"the raw reference has no SQL for the {type(rule).__name__} rule")


# Each measure's raw value in the `raw` CTE below (columns of the joined rollup aggregates).
RAW_VALUES = {
    "active_days": "COALESCE(d.active_days, 0)",
    "logins": "COALESCE(d.logins, 0)",
    "active_users_per_seat": "CASE WHEN s.seats > 0 THEN COALESCE(d.user_days, 0) / 28.0 / s.seats END",
    "usage_trend": "CASE WHEN d.baseline > 0 THEN d.recent * 28.0 / (7.0 * d.baseline) - 1 END",
    "feature_breadth": "COALESCE(f.features, 0)",
    "seat_utilisation": "CASE WHEN s.seats > 0 THEN COALESCE(u.users, 0) * 1.0 / s.seats END",
    "open_tickets": "CASE WHEN COALESCE(d.open_90, 0) > 0 THEN d.open_90 ELSE 0 END",
}


def raw_reference_sql(card: Any, vendor: str, subset: bool = False) -> str:
    """The hand-written reference: measures, scores, re-weighted average, band and row, one statement.

    Parameters: ws, day (as of), store_day (the day written), scorecard, and the window bounds; with
    `subset` (PostgreSQL only), also `ids`: only those accounts are read and scored (an incremental
    re-score).
    """
    if subset and vendor == "sqlite":
        raise BenchError("the raw reference scores a subset of accounts on PostgreSQL only")
    only = " AND account_id = ANY(%(ids)s)" if subset else ""
    only_movements, only_accounts = only.replace("account_id", "m.account_id"), only.replace("account_id", "a.id")
    measures = list(card.measures)
    unknown = [m.kind for m in measures if m.kind not in RAW_VALUES]
    if unknown or card.composition != "weighted_average" or card.grouped:
        raise BenchError("the raw reference computes a flat weighted average of the kinds in RAW_VALUES only")
    least, greatest = ("MIN", "MAX") if vendor == "sqlite" else ("LEAST", "GREATEST")
    obj, arr = ("json_object", "json_array") if vendor == "sqlite" else ("jsonb_build_object", "jsonb_build_array")
    # Every raw value is a float8 on PostgreSQL (sums of integers are bigint or numeric there), so
    # the scoring, the average and the JSON all compute in float8, as Retain's Python does.
    cast = "{}" if vendor == "sqlite" else "CAST({} AS double precision)"
    raws = ",\n    ".join(f"{cast.format(RAW_VALUES[m.kind])} AS r_{i}" for i, m in enumerate(measures))
    scores = ",\n    ".join(f"{_rule_sql(m.scoring, f'r_{i}', vendor)} AS s_{i}" for i, m in enumerate(measures))
    zero = _number(0.0, vendor)
    weights = [_number(m.weight, vendor) for m in measures]
    present = " + ".join(f"CASE WHEN s_{i} IS NULL THEN {zero} ELSE {w} END" for i, w in enumerate(weights))
    weighted = " + ".join(f"COALESCE(s_{i} * {w}, {zero})" for i, w in enumerate(weights))
    bounded = f"{least}({greatest}(total / present, {zero}), {_number(100.0, vendor)})"
    # PostgreSQL rounds to a digit only in numeric: one cast per row, after all the arithmetic.
    rounded = f"ROUND({bounded}, 1)" if vendor == "sqlite" else f"ROUND(({bounded})::numeric, 1)::double precision"
    parts = ", ".join(
        f"{obj}('kind', '{m.kind}', 'label', '{m.label}', 'raw', r_{i}, 'score', s_{i}, 'weight', {w}, "
        f"'effective_weight', CASE WHEN s_{i} IS NULL THEN {zero} ELSE {w} / present END, "
        f"'contribution', COALESCE(s_{i} * {w} / present, {zero}), 'missing', r_{i} IS NULL)"
        for i, (m, w) in enumerate(zip(measures, weights, strict=True))
    )
    window = f"workspace_id = %(ws)s AND day >= %(w28)s AND day <= %(day)s AND events > 0{only}"

    def distinct(column: str, table: str, name: str) -> str:
        if vendor == "sqlite":
            return (
                f"SELECT account_id, COUNT(DISTINCT {column}) AS {name} FROM {table} WHERE {window} GROUP BY account_id"
            )
        # On PostgreSQL, COUNT(DISTINCT) wants its rows sorted by account: the planner walked the
        # whole table in account order through the account index (EXPLAIN ANALYZE: 5 of 15 s at
        # 10,000 accounts). Distinct pairs first, then a count, hash-aggregate one scan of the window.
        return (
            f"SELECT account_id, COUNT(*) AS {name} FROM (SELECT DISTINCT account_id, {column} FROM {table} "
            f"WHERE {window}) pairs GROUP BY account_id"
        )

    return f"""
WITH d AS (
  SELECT account_id,
    SUM(CASE WHEN day >= %(w28)s THEN active_users ELSE 0 END) AS user_days,
    SUM(CASE WHEN day >= %(w28)s AND events > 0 THEN 1 ELSE 0 END) AS active_days,
    SUM(CASE WHEN day >= %(w28)s THEN logins ELSE 0 END) AS logins,
    SUM(CASE WHEN day >= %(w90)s THEN tickets_created - tickets_solved ELSE 0 END) AS open_90,
    SUM(CASE WHEN day >= %(r_from)s AND day <= %(r_to)s THEN events ELSE 0 END) AS recent,
    SUM(CASE WHEN day >= %(b_from)s AND day <= %(b_to)s THEN events ELSE 0 END) AS baseline
  FROM usage_dailyaccountusage
  WHERE workspace_id = %(ws)s AND day >= %(earliest)s AND day <= %(day)s{only}
  GROUP BY account_id
), u AS (
  {distinct("user_id", "usage_dailyuserusage", "users")}
), f AS (
  {distinct("feature", "usage_dailyfeatureusage", "features")}
), s AS (
  SELECT m.account_id, SUM(m.seats_after) AS seats FROM accounts_subscriptionmovement m
  WHERE m.workspace_id = %(ws)s AND m.effective_on <= %(day)s AND m.mrr_after > 0{only_movements} AND NOT EXISTS (
    SELECT 1 FROM accounts_subscriptionmovement l WHERE l.subscription_id = m.subscription_id
      AND l.effective_on <= %(day)s
      AND (l.effective_on > m.effective_on OR (l.effective_on = m.effective_on AND l.id > m.id)))
  GROUP BY m.account_id
), raw AS (
  SELECT a.id AS account_id,
    {raws}
  FROM accounts_account a
  LEFT JOIN d ON d.account_id = a.id LEFT JOIN u ON u.account_id = a.id
  LEFT JOIN f ON f.account_id = a.id LEFT JOIN s ON s.account_id = a.id
  WHERE a.workspace_id = %(ws)s{only_accounts}
), scored AS (
  SELECT raw.*,
    {scores}
  FROM raw
), summed AS (
  SELECT scored.*, {weighted} AS total, {present} AS present FROM scored
), overall AS (
  SELECT summed.*, CASE WHEN present > 0 THEN {rounded} END AS overall FROM summed
)
INSERT INTO health_healthscore (workspace_id, account_id, day, overall, band, measures, scorecard_id,
  not_scored_reason, computed_at)
SELECT %(ws)s, account_id, %(store_day)s, overall,
  CASE WHEN overall IS NULL THEN 'blank' WHEN overall < {card.red_below!r} THEN 'red'
       WHEN overall >= {card.green_from!r} THEN 'green' ELSE 'yellow' END,
  CASE WHEN present > 0 THEN {arr}({parts}) ELSE {arr}() END,
  %(scorecard)s, '', CURRENT_TIMESTAMP
FROM overall
"""


def _raw_params(workspace_id: int, day: dt.date, scorecard_id: int, vendor: str) -> dict[str, Any]:
    def as_of(days: int) -> Any:
        value = day - dt.timedelta(days=days)
        # SQLite keeps dates as ISO text, and compares them as text.
        return value.isoformat() if vendor == "sqlite" else value

    return {
        "ws": workspace_id,
        "day": as_of(0),
        "store_day": as_of(-1),
        "scorecard": scorecard_id,
        "w28": as_of(27),
        "w90": as_of(89),
        "r_from": as_of(7),
        "r_to": as_of(1),
        "b_from": as_of(35),
        "b_to": as_of(8),
        "earliest": as_of(89),
    }


def rescore_against_raw(
    workspace: Any,
    day: dt.date,
    scorecard_id: int,
    *,
    seed: int,
    account_ids: list[int] | None = None,
    store_day: dt.date | None = None,
) -> dict[str, Any]:
    """Time `health_recompute` (all accounts, or `account_ids`) against the raw reference on the same
    rollups, the reference's rows dated `store_day` (the day after, unless given); compare a sample.

    `scorecard_id` is `REFERENCE` published as the workspace's only scorecard. Returns rescore_s,
    raw_s, checked and bands.
    """
    from django.db import connection, transaction

    from retain.health.definition import parse
    from retain.health.models import HealthScore
    from retain.health.services import health_recompute

    vendor = connection.vendor
    card = parse(REFERENCE, source="bench-reference.yaml")
    subset = account_ids is not None
    sql = raw_reference_sql(card, vendor, subset=subset)
    params = _raw_params(workspace.pk, day, scorecard_id, vendor)
    store_day = store_day or day + dt.timedelta(days=1)
    params["store_day"] = store_day.isoformat() if vendor == "sqlite" else store_day
    if subset:
        params["ids"] = list(account_ids or [])
    # Warm both sides' pages into the cache the same way: one untimed pass over the rollups.
    with connection.cursor() as cursor:
        for table in ("usage_dailyaccountusage", "usage_dailyuserusage", "usage_dailyfeatureusage"):
            cursor.execute(f"SELECT COUNT(*), SUM(events) FROM {table}")
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    _say("  re-scoring with Retain (health_recompute)")
    began = time.perf_counter()
    result = health_recompute(workspace=workspace, day=day, account_ids=account_ids)
    rescore_s = time.perf_counter() - began

    _say("  re-scoring with the raw INSERT … SELECT")
    began = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if vendor == "postgresql":
            # One statement over 10,000 rows costs the planner enough to compile it (JIT): over a
            # second of compiling for 15 s of work in EXPLAIN ANALYZE. The reference is meant to be
            # the fastest hand-written way, so it runs without; Retain's queries keep the default.
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, params)
    raw_s = time.perf_counter() - began

    scores = HealthScore.objects.filter(workspace=workspace)
    if subset:
        scores = scores.filter(account_id__in=params["ids"])
    retain_rows = dict(scores.filter(day=day).values_list("account_id", "overall"))
    raw_rows = dict(scores.filter(day=store_day).values_list("account_id", "overall"))
    bands = {(row[0], row[1]): row[2] for row in scores.values_list("account_id", "day", "band")}
    if len(retain_rows) != len(raw_rows) or result.accounts != len(raw_rows):
        raise BenchError(f"Retain wrote {len(retain_rows)} rows, the raw reference {len(raw_rows)}")
    rng = random.Random(seed)
    sample_ids = rng.sample(sorted(retain_rows), min(SAMPLE, len(retain_rows)))

    def differs(account_id: int) -> bool:
        ours, theirs = retain_rows[account_id], raw_rows[account_id]
        if ours is None or theirs is None:
            return (ours is None) != (theirs is None)
        if abs(ours - theirs) > 0.1 + 1e-9:
            return True
        # Python and SQL may round x.x5 differently; a band may differ only right at a cut-off.
        near_cut = min(abs(ours - card.red_below), abs(ours - card.green_from)) <= 0.1
        return bands[(account_id, day)] != bands[(account_id, store_day)] and not near_cut

    mismatched = [account_id for account_id in sample_ids if differs(account_id)]
    if mismatched:
        first = mismatched[0]
        raise BenchError(
            f"{len(mismatched)} of {len(sample_ids)} sampled accounts differ, e.g. account {first}: "
            f"Retain {retain_rows[first]}, raw {raw_rows[first]}"
        )
    return {"rescore_s": rescore_s, "raw_s": raw_s, "checked": len(sample_ids), "bands": dict(result.bands)}


# The run inside the configured process --------------------------------------------------------------


def work(accounts: int, events: int, seed: int = 7, fold_sample: int = FOLD_SAMPLE) -> None:
    """Build, fold, time both sides, compare; prints one `RESULT {json}` line."""
    from django.db import transaction

    from retain.accounts.selectors import workspace_today
    from retain.health.services import scorecard_publish
    from retain.tenancy.services import workspace_create
    from retain.usage.rollups import rollups_fold

    notes: list[str] = []
    say = _say
    plans = plan_accounts(accounts, seed)
    workspace = workspace_create(name="Bench", slug="bench")
    day = workspace_today(workspace)
    per_active_day = calibrate(plans, events, seed, day)
    say(f"  {accounts} accounts, about {events} events over {DAYS} days")
    with transaction.atomic():
        ids = _create_accounts(workspace, plans, day)

    def days_of(index: int) -> Iterator[DayPlan]:
        return plan_days(index, plans[index], day, per_active_day, seed)

    if events <= fold_sample:
        with transaction.atomic():
            written = _write_events(workspace.pk, ids, days_of)
        say(f"  {written} raw events written; folding them")
        began = time.perf_counter()
        rollups_fold(workspace=workspace)
        rollup_s = time.perf_counter() - began
    else:
        with transaction.atomic():
            written = _write_rollups(workspace.pk, ids, days_of)
        say(f"  rollups for {written} events written directly; folding a {fold_sample}-event sample")
        sample_plans = plans[: max(1, round(len(plans) * fold_sample / written))]
        sample = workspace_create(name="Bench sample", slug="bench-sample")
        with transaction.atomic():
            sample_ids = _create_accounts(sample, sample_plans, day)
            sampled = _write_events(sample.pk, sample_ids, days_of)
        began = time.perf_counter()
        rollups_fold(workspace=sample)
        rollup_s = time.perf_counter() - began
        notes.append(f"rollup_s is the fold of a {sampled}-event sample of the same process, not of all {written}")

    scorecard = scorecard_publish(workspace=workspace, actor=None, text=REFERENCE, filename="bench-reference.yaml")
    compared = rescore_against_raw(workspace, day, scorecard.pk, seed=seed)
    figures = {
        "accounts": accounts,
        "events": written,
        "rollup_s": round(rollup_s, 2),
        # Three significant digits (as the playbooks bench): on a quiet machine a small run's raw
        # statement takes milliseconds, and two fixed decimals printed it as 0.0.
        "rescore_s": float(f"{compared['rescore_s']:.3g}"),
        "raw_s": float(f"{compared['raw_s']:.3g}"),
        "ratio": round(compared["rescore_s"] / compared["raw_s"], 2) if compared["raw_s"] else 0.0,
        "checked": compared["checked"],
        "bands": compared["bands"],
        "notes": notes,
    }
    print("RESULT " + json.dumps(figures))


# The runner ------------------------------------------------------------------------------------------------


def run_health_bench(*, accounts: int, events: int, database: str, postgres_url: str, out: Any) -> dict[str, Any]:
    """A fresh database, migrated; `work` in a subprocess configured for it; the figures."""
    from retain.usage.bench.runner import run_in_fresh_database

    if accounts < 1 or events < 0:
        raise BenchError("--accounts must be at least 1 and --events at least 0")
    return run_in_fresh_database(
        name="health",
        database=database,
        postgres_url=postgres_url,
        script=f"from retain.health.bench import work; work({accounts}, {events})",
        heading=f"Health re-score ({database}): {accounts} accounts, {events} events",
        out=out,
    )
