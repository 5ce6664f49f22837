"""`retain bench playbooks`: one scan and sweep of every default playbook, beside hand-written SQL.

The runner makes a fresh database (a SQLite file in a temporary folder, or a PostgreSQL database
made for the run and dropped after), migrates it in a subprocess with its own environment, and runs
`work` inside `retain shell` there:

1. A workspace with the default playbooks, a small team (strategic, enterprise, SMB and operational
   CSMs) and N accounts spread over the tiers and stages, each with a subscription started some
   day in the last two years (so the day's welcome, check-in, QBR and renewal-window triggers hit
   a realistic few), health scores of the last days (some red), onboarding journeys whose
   milestones are on track, behind or stuck, and the day's timeline facts: champions leaving or
   bouncing, detractors, initial-value milestones.
2. `raw_s`: one hand-written `INSERT … SELECT … ON CONFLICT DO NOTHING` (sqlite3 or psycopg
   cursor) with the same audiences, trigger conditions and conditions, writing one enrolment per
   (playbook, account) pair into the same table; its pairs are read back and the transaction rolled
   back, so the engine then starts from the same empty table.
3. `scan_s`: `engine.scan` (every playbook over every account, enrolments written): the same work
   as the reference, and `ratio` = scan_s / raw_s. The two sets of pairs must be equal.
4. `steps_s`: one `engine.sweep` after it (up to SWEEP_LIMIT due enrolments claimed and their steps
   run: tasks, e-mails queued, waits; the rest waits for the next minute). The reference has no
   counterpart for it, so it is reported on its own; `sweep_s` = scan_s + steps_s, one minutely run.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
import time
from decimal import Decimal
from typing import Any

from retain.usage.bench.runner import BenchError

FIGURES = ("accounts", "scan_s", "raw_s", "ratio", "steps_s", "sweep_s")
TIERS = (("community", 0.6), ("enterprise", 0.3), ("strategic", 0.1))
STAGES = (
    ("onboarding", 0.2),
    ("adoption", 0.25),
    ("success", 0.25),
    ("renewal", 0.12),
    ("expansion", 0.13),
    ("churned", 0.05),
)
BANDS = (("red", 0.15), ("yellow", 0.3), ("green", 0.55))


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([name for name, _ in weighted], weights=[w for _, w in weighted])[0]


def _say(line: str) -> None:
    """A progress line (stderr: the figures are the one `RESULT` line on stdout)."""
    print(line, file=sys.stderr, flush=True)


# The data (inside the configured process) -----------------------------------------------------------


def _team(workspace: Any) -> list[Any]:
    from retain.tenancy.services import member_add

    kinds = ["strategic", "enterprise", "enterprise", "smb", "smb", "smb", "operational"]
    members = [
        member_add(workspace=workspace, email=f"csm{i}@bench.example", first_name=f"CSM {i}", role="csm", csm_kind=kind)
        for i, kind in enumerate(kinds)
    ]
    member_add(workspace=workspace, email="lead@bench.example", first_name="Lead", role="manager")
    return members


def build(workspace: Any, accounts: int, day: dt.date, seed: int) -> dict[str, int]:
    """N accounts with subscriptions, health, journeys and contacts; returns what was written."""
    from retain.accounts.models import Account, Contact, Subscription
    from retain.health.models import HealthScore
    from retain.health.services import scorecards_install_defaults
    from retain.journeys.models import Journey, JourneyTemplate, MilestoneProgress

    rng = random.Random(seed)
    owners = _team(workspace)
    rows = []
    for i in range(accounts):
        stage = _pick(rng, STAGES)
        rows.append(
            Account(
                workspace=workspace,
                name=f"Bench account {i}",
                external_id=f"bench-{i}",
                tier=_pick(rng, TIERS),
                stage=stage,
                stage_entered_on=day - dt.timedelta(days=rng.randint(0, 200)),
                owner=owners[rng.randrange(len(owners))],
                mrr=Decimal(rng.randint(50, 5000)),
            )
        )
    created = Account.objects.bulk_create(rows, batch_size=2000)
    subscriptions = []
    for account in created:
        # Every day of the last two years about equally likely, so today's time triggers hit a few.
        started = day - dt.timedelta(days=rng.randint(0, 730))
        terms = 1 + (day - started).days // 365
        subscriptions.append(
            Subscription(
                workspace=workspace,
                account=account,
                product="Marketing Hub",
                currency="USD",
                seats=rng.randint(5, 60),
                mrr=account.mrr,
                started_on=started,
                term_end=started + dt.timedelta(days=365 * terms),
            )
        )
    Subscription.objects.bulk_create(subscriptions, batch_size=2000)
    cards = scorecards_install_defaults(workspace=workspace)
    now = dt.datetime.now(dt.UTC)
    scores = []
    for account in created:
        band = _pick(rng, BANDS)
        # Most scored today; some last scored a few days ago; some never (a new account).
        offsets = rng.choice([[0, 7], [0, 1], [3], [9, 20], []])
        for offset in offsets:
            overall = {"red": 25.0, "yellow": 55.0, "green": 80.0}[band] + rng.uniform(-10, 10)
            scores.append(
                HealthScore(
                    workspace=workspace, account=account, day=day - dt.timedelta(days=offset), overall=overall,
                    band=band if offset == offsets[0] else _pick(rng, BANDS), scorecard=cards[0], computed_at=now,
                )
            )  # fmt: skip
    HealthScore.objects.bulk_create(scores, batch_size=2000)
    template = JourneyTemplate.objects.create(workspace=workspace, key="bench", name="Bench path", milestones=[])
    onboarding = [a for a in created if a.stage == "onboarding"]
    started = day - dt.timedelta(days=60)
    journeys = Journey.objects.bulk_create(
        [Journey(workspace=workspace, account=a, template=template, started_on=started) for a in onboarding],
        batch_size=2000,
    )
    progress = []
    for journey in journeys:
        for order, key in enumerate(("technical-setup", "active", "initial-value")):
            due = day + dt.timedelta(days=rng.randint(-40, 20))
            done = due - dt.timedelta(days=rng.randint(-5, 10)) if rng.random() < 0.35 else None
            touched = day - dt.timedelta(days=rng.randint(0, 40)) if rng.random() < 0.6 else None
            progress.append(
                MilestoneProgress(
                    workspace=workspace, journey=journey, account_id=journey.account_id, key=key, name=key,
                    order=order, due_on=due, completed_on=done if done and done <= day else None,
                    last_progress_on=touched,
                )
            )  # fmt: skip
    MilestoneProgress.objects.bulk_create(progress, batch_size=2000)
    roles = ["champion", "champion", "admin", "user", "executive_sponsor"]
    contacts = Contact.objects.bulk_create(
        [
            Contact(workspace=workspace, account=a, email=f"c{a.pk}-{n}@customer.example", role=role)
            for a in created
            for n, role in enumerate(rng.sample(roles, 2))
        ],
        batch_size=2000,
    )  # fmt: skip
    return {"accounts": len(created), "contacts": len(contacts), "scores": len(scores), "milestones": len(progress)}


def write_facts(workspace: Any, day: dt.date, seed: int) -> int:
    """The day's timeline facts the event triggers read (written after the playbooks exist)."""
    from retain.accounts.models import Contact, TimelineEntry

    rng = random.Random(seed + 1)
    at = dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC)
    entries = []
    for contact in Contact.objects.filter(workspace=workspace).only("pk", "account_id", "role").order_by("pk"):
        draw = rng.random()
        data: dict[str, Any]
        if draw < 0.02:
            kind, data = "contact_left", {"role": contact.role, "left_on": day.isoformat()}
        elif draw < 0.03:
            kind, data = (
                "email_bounced",
                {"contact_id": contact.pk, "role": contact.role, "type": "bounce", "reason": ""},
            )
        elif draw < 0.045:
            kind, data = "detractor_answered", {"score": rng.randint(0, 6)}
        elif draw < 0.07:
            key = rng.choice(["initial-value", "initial-value", "active", "technical-setup"])
            kind, data = "milestone_completed", {"key": key, "name": key}
        else:
            continue
        entries.append(
            TimelineEntry(
                workspace=workspace, account_id=contact.account_id, kind=kind, occurred_at=at, summary=kind,
                data=data, contact_id=contact.pk, actor_label="bench",
            )
        )  # fmt: skip
    TimelineEntry.objects.bulk_create(entries, batch_size=2000)
    return len(entries)


# The raw reference ------------------------------------------------------------------------------------


def raw_reference_sql(vendor: str) -> str:
    """An enrolment for every (playbook key, account id) pair of the default playbooks, as one
    `INSERT … SELECT` over UNIONs, skipping pairs already enrolled on the unique occurrence key.

    Parameters are named (%(name)s) and dates are computed by the caller, so the SQL only compares.
    """
    if vendor == "postgresql":
        days_since = "(%(today)s::date - first_start)"
        json_text = "(e.data ->> '{}')"
    else:
        days_since = "CAST(julianday(%(today)s) - julianday(first_start) AS INTEGER)"
        json_text = "json_extract(e.data, '$.{}')"
    # The accounts still customers on the day: not in the churned stage, and not with every
    # subscription that had started ended by it.
    live = """
        live AS MATERIALIZED (
          SELECT a.id, a.tier, a.stage FROM accounts_account a
          WHERE a.workspace_id = %(ws)s AND a.stage <> 'churned'
            AND (NOT EXISTS (SELECT 1 FROM accounts_subscription s
                             WHERE s.account_id = a.id AND s.started_on <= %(today)s)
                 OR EXISTS (SELECT 1 FROM accounts_subscription s
                            WHERE s.account_id = a.id AND s.started_on <= %(today)s
                              AND NOT (s.status = 'churned' AND (s.ended_on IS NULL OR s.ended_on <= %(today)s))))
        )"""  # fmt: skip
    firsts = """
        firsts AS MATERIALIZED (
          SELECT l.id, l.tier, MIN(s.started_on) AS first_start FROM live l
          JOIN accounts_subscription s ON s.account_id = l.id GROUP BY l.id, l.tier
        )"""
    # The latest score in the snapshot's look-back window, per account.
    latest = """
        latest AS MATERIALIZED (
          SELECT h.account_id, h.band FROM health_healthscore h
          JOIN (SELECT account_id, MAX(day) AS day FROM health_healthscore
                WHERE workspace_id = %(ws)s AND day <= %(today)s AND day >= %(health_from)s
                GROUP BY account_id) m ON m.account_id = h.account_id AND m.day = h.day
        )"""
    stuck = """
        stuck AS MATERIALIZED (
          SELECT DISTINCT m.account_id FROM journeys_milestoneprogress m
          WHERE m.workspace_id = %(ws)s AND (m.completed_on IS NULL OR m.completed_on > %(today)s)
            AND m.due_on < %(today)s
            AND (m.due_on < %(stuck_before)s
                 OR (m.last_progress_on <= %(today)s AND m.last_progress_on < %(quiet_before)s))
        )"""  # fmt: skip

    def event(key: str, kind: str, where: str = "") -> str:
        return f"""
          SELECT DISTINCT '{key}', e.account_id FROM timeline_events e
          WHERE e.kind = '{kind}' AND e.created_at >= %(since_{key.replace("-", "_")})s
            AND e.account_id IN (SELECT id FROM live) {where}"""

    champion = f"AND {json_text.format('role')} = 'champion'"
    parts = [
        "SELECT 'welcome-community', id FROM firsts WHERE tier = 'community' AND first_start = %(today)s",
        "SELECT 'welcome-enterprise', id FROM firsts WHERE tier = 'enterprise' AND first_start = %(today)s",
        "SELECT 'welcome-strategic', id FROM firsts WHERE tier = 'strategic' AND first_start = %(today)s",
        "SELECT 'check-ins', id FROM firsts WHERE tier IN ('enterprise', 'strategic') AND first_start = %(day_30)s",
        "SELECT 'check-ins-community', id FROM firsts WHERE tier = 'community' AND first_start = %(day_30)s",
        f"SELECT 'quarterly-business-review', id FROM firsts WHERE tier IN ('enterprise', 'strategic')"
        f" AND {days_since} >= 90 AND {days_since} % 90 = 0",
        """SELECT DISTINCT 'renewal-started', l.id FROM live l JOIN accounts_subscription s ON s.account_id = l.id
           WHERE s.status = 'active' AND s.term_end = CASE l.tier WHEN 'community' THEN %(opens_community)s
             WHEN 'enterprise' THEN %(opens_enterprise)s ELSE %(opens_strategic)s END""",
        "SELECT 'health-turned-red', account_id FROM latest WHERE band = 'red' AND account_id IN (SELECT id FROM live)",
        "SELECT 'onboarding-stuck', account_id FROM stuck"
        " WHERE account_id IN (SELECT id FROM live WHERE stage = 'onboarding')",
        event("champion-left", "contact_left", champion),
        event("champion-email-bounced", "email_bounced", champion),
        event("detractor-follow-up", "detractor_answered"),
        event("advocacy-ask", "milestone_completed", f"AND {json_text.format('key')} = 'initial-value'")
        + " AND e.account_id IN (SELECT account_id FROM latest WHERE band <> 'red')",
    ]
    events = """
        timeline_events AS MATERIALIZED (
          SELECT e.account_id, e.kind, e.data, e.created_at FROM accounts_timelineentry e
          WHERE e.workspace_id = %(ws)s AND e.kind IN ('contact_left', 'email_bounced', 'detractor_answered',
                                                        'milestone_completed')
        )"""
    pairs = "pairs (playbook_key, account_id) AS (\n" + "\nUNION\n".join(parts) + "\n)"
    # `WHERE true` keeps SQLite from reading ON CONFLICT as the join's ON (its documented ambiguity).
    insert = """
        INSERT INTO playbooks_enrollment (workspace_id, playbook_id, playbook_key, account_id, occurrence_key,
          status, due_at, fired_at, step_index, attempts, skip_reason, last_error, context, created_at)
        SELECT %(ws)s, p.id, pairs.playbook_key, pairs.account_id, %(occurrence)s, 'pending', %(now)s, %(now)s,
          0, 0, '', '', '{}', %(now)s
        FROM pairs JOIN playbooks_playbook p
          ON p.workspace_id = %(ws)s AND p.key = pairs.playbook_key AND p.is_current AND p.is_active
        WHERE true
        ON CONFLICT (workspace_id, playbook_key, account_id, occurrence_key) DO NOTHING"""
    return f"WITH {live}, {firsts}, {latest}, {stuck}, {events}, {pairs}\n{insert}"


def raw_params(workspace: Any, day: dt.date, since: dict[str, dt.datetime], now: dt.datetime) -> dict[str, Any]:
    from retain.journeys.evaluation import NO_PROGRESS_DAYS, STUCK_AFTER_DAYS
    from retain.playbooks.snapshot import HEALTH_LOOKBACK_DAYS

    params: dict[str, Any] = {
        "ws": workspace.pk,
        "today": day,
        "day_30": day - dt.timedelta(days=30),
        "health_from": day - dt.timedelta(days=7 + HEALTH_LOOKBACK_DAYS),
        "stuck_before": day - dt.timedelta(days=STUCK_AFTER_DAYS),
        "quiet_before": day - dt.timedelta(days=NO_PROGRESS_DAYS),
        "occurrence": f"day:{day.isoformat()}",
        "now": now,
    }
    for tier in ("community", "enterprise", "strategic"):
        params[f"opens_{tier}"] = day + dt.timedelta(days=workspace.renewal_window_days(tier))
    for key, at in since.items():
        params[f"since_{key.replace('-', '_')}"] = at
    return params


def _raw_enrol(sql: str, params: dict[str, Any]) -> tuple[float, set[tuple[str, int]]]:
    """Run the reference on a driver cursor of its own (sqlite3 or psycopg), not through the ORM.

    Returns its time and the (playbook, account) pairs it enrolled; the transaction is rolled back.
    """
    from django.db import connection, transaction

    with transaction.atomic():
        raw = connection.connection
        assert raw is not None
        read = "SELECT playbook_key, account_id FROM playbooks_enrollment WHERE workspace_id = {}"
        if connection.vendor == "sqlite":
            # sqlite3 takes :name; dates and timestamps compare as the text Django stores (UTC, no zone).
            text = sql.replace("%(", ":").replace(")s", "")
            values = {
                name: value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
                if isinstance(value, dt.datetime)
                else value.isoformat()
                if isinstance(value, dt.date)
                else value
                for name, value in params.items()
            }
            began = time.perf_counter()
            raw.execute(text, values)
            seconds = time.perf_counter() - began
            rows = raw.execute(read.format("?"), (params["ws"],)).fetchall()
        else:
            with raw.cursor() as cursor:
                began = time.perf_counter()
                cursor.execute(sql.replace(" % 90", " %% 90"), params)
                seconds = time.perf_counter() - began
                cursor.execute(read.format("%s"), (params["ws"],))
                rows = cursor.fetchall()
        transaction.set_rollback(True)
    return seconds, {(str(key), int(account_id)) for key, account_id in rows}


def prepare(workspace: Any, accounts: int, day: dt.date, seed: int) -> dict[str, int]:
    """`build` the accounts, install the default playbooks, write the day's facts; what was written."""
    from django.db import transaction

    from retain.playbooks.defaults import playbooks_install_defaults

    with transaction.atomic():
        written = build(workspace, accounts, day, seed)
    playbooks = playbooks_install_defaults(workspace=workspace)
    facts = write_facts(workspace, day, seed)
    _say(f"  {written['accounts']} accounts, {written['scores']} health scores, {written['milestones']} milestones, "
         f"{facts} timeline facts; {len(playbooks)} playbooks")  # fmt: skip
    return written


def scan_against_raw(workspace: Any, day: dt.date, *, accounts: int) -> dict[str, Any]:
    """Time one enrolment pass of the raw reference, then one scan and sweep with Retain, on a
    workspace whose playbooks and facts are written; the two sets of pairs must be equal."""
    from django.db import connection
    from django.utils import timezone

    from retain.lib.dates import start_of_day
    from retain.playbooks import engine
    from retain.playbooks.models import Enrollment, Playbook, StepRun

    say = _say
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    # Noon of the bench day in the workspace's zone: every time trigger of the day is due.
    now = max(timezone.now(), start_of_day(day, workspace.time_zone) + dt.timedelta(hours=12))

    since = {p.key: p.created_at for p in Playbook.objects.filter(workspace=workspace)}
    sql = raw_reference_sql(connection.vendor)
    params = raw_params(workspace, day, since, now)
    say("  the same enrolments with the raw INSERT … SELECT (rolled back after)")
    _raw_enrol(sql, params)  # untimed: both sides then read warm pages
    raw_s, raw = _raw_enrol(sql, params)

    say("  one scan and one sweep with Retain (engine.scan, engine.sweep)")
    began = time.perf_counter()
    scanned = engine.scan(workspace=workspace, now=now)
    scan_s = time.perf_counter() - began
    swept = engine.sweep(now=now, worker_name="bench", limit=engine.SWEEP_LIMIT)
    sweep_s = time.perf_counter() - began
    steps_s = sweep_s - scan_s

    ours = set(Enrollment.objects.filter(workspace=workspace).values_list("playbook_key", "account_id"))
    if ours != raw:
        only_ours, only_raw = sorted(ours - raw)[:5], sorted(raw - ours)[:5]
        raise BenchError(
            f"Retain enrolled {len(ours)} (playbook, account) pairs, the raw reference found {len(raw)}; "
            f"only Retain: {only_ours}; only raw: {only_raw}"
        )
    per_playbook: dict[str, int] = {}
    for key, _ in ours:
        per_playbook[key] = per_playbook.get(key, 0) + 1
    figures = {
        "accounts": accounts,
        # Three significant digits, not three decimals: on 50 accounts the raw insert takes well under
        # a millisecond, and a fixed rounding printed it as 0.0 (and the ratio with it).
        "scan_s": float(f"{scan_s:.3g}"),
        "raw_s": float(f"{raw_s:.3g}"),
        "ratio": round(scan_s / raw_s, 1) if raw_s else 0.0,
        "steps_s": float(f"{steps_s:.3g}"),
        "sweep_s": float(f"{sweep_s:.3g}"),
        "enrolled": scanned.enrolled,
        "pairs": len(ours),
        "claimed": swept.claimed,
        "still_due": engine.due_count(now),
        "step_runs": StepRun.objects.filter(enrollment__workspace=workspace).count(),
        "per_playbook": dict(sorted(per_playbook.items())),
    }
    return figures


# The run inside the configured process --------------------------------------------------------------


def work(accounts: int, seed: int = 11) -> None:
    """Build, time both sides, compare; prints one `RESULT {json}` line."""
    from retain.accounts.selectors import workspace_today
    from retain.tenancy.services import workspace_create

    workspace = workspace_create(name="Bench", slug="bench")
    day = workspace_today(workspace)
    written = prepare(workspace, accounts, day, seed)
    figures = scan_against_raw(workspace, day, accounts=written["accounts"])
    print("RESULT " + json.dumps(figures))


# The runner ------------------------------------------------------------------------------------------------


def run_playbooks_bench(*, accounts: int, database: str, postgres_url: str, out: Any) -> dict[str, Any]:
    """A fresh database, migrated; `work` in a subprocess configured for it; the figures."""
    from retain.usage.bench.runner import run_in_fresh_database

    if accounts < 1:
        raise BenchError("--accounts must be at least 1")
    return run_in_fresh_database(
        name="playbooks",
        database=database,
        postgres_url=postgres_url,
        script=f"from retain.playbooks.bench import work; work({accounts})",
        heading=f"Playbooks scan and sweep ({database}): {accounts} accounts",
        out=out,
    )
