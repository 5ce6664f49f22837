"""The business review pack: the account's figures for one quarter, each with its formula, period
and source, built from the selectors and formulas the other pages use (nothing re-computed
differently) and kept on the review as JSON (a snapshot: the same review shows the same figures
until someone refreshes it).

The pack has customer sections and one `internal` section (health, churn risk, expansion signals,
risks, CSM notes). `customer_pack` drops the internal section: the customer's page, PDF and link
are rendered from what it returns, so an internal figure cannot reach them by a template slip.

Every figure is a dict {key, label, value, shown, formula, worked, period, source} so the page can
show how it was computed and the PDF can print the same words.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum

from retain.accounts.figures import Filters, Period
from retain.accounts.models import Account
from retain.accounts.selectors import account_mrr_on, mrr_by_subscription_on, next_renewal_on
from retain.health import catalogue
from retain.health.measures import compute_measures
from retain.health.models import HealthScore
from retain.health.selectors import current_pulse, health_breakdown
from retain.journeys.choices import BarrierState
from retain.journeys.models import Barrier
from retain.journeys.selectors import account_journey
from retain.lib.money import format_money
from retain.plans import selectors as plan_selectors
from retain.plans.choices import CommitmentStatus
from retain.renewals.choices import ExpansionStatus
from retain.renewals.models import ExpansionOpportunity
from retain.reports.periods import Quarter
from retain.risk.selectors import account_risk, labelled_reasons
from retain.surveys.measures import commented_responses, survey_measures
from retain.usage.models import DailyAccountUsage, DailyFeatureUsage

PACK_VERSION = 1
# Outcomes in the demo vendor's (a marketing-automation product's) terms: the milestone-evidence
# events that say the customer is getting value, counted this quarter against the last.
OUTCOME_EVENTS = (
    ("Lead Created", "Leads created"),
    ("Workflow Activated", "Workflows activated"),
    ("Email Campaign Sent", "Campaigns sent"),
)
# The next rung of the adoption ladder: features at least this share of same tier and edition
# accounts used in the quarter that this account did not.
NEXT_RUNG_SHARE = 0.5
NEXT_RUNG_MAX = 3
VERBATIMS = 5
INTERNAL_SECTION_TITLES = ("Health score", "Churn risk", "Expansion signals", "Risks and mitigations", "CSM notes")


def _figure(
    key: str, label: str, value: Any, shown: str, formula: str, worked: str, period: str, source: str
) -> dict[str, Any]:
    return {
        "key": key,
        "label": label,
        "value": value,
        "shown": shown,
        "formula": formula,
        "worked": worked,
        "period": period,
        "source": source,
    }


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def _num(value: Decimal | float) -> str:
    text = f"{Decimal(str(value)).normalize():f}"
    return text


def as_of_day(quarter: Quarter, today: dt.date) -> dt.date:
    """The last day the pack counts: the quarter's end, or today while the quarter runs."""
    return min(quarter.end, today)


def build(account: Account, quarter: Quarter, *, today: dt.date) -> dict[str, Any]:
    """The pack of `account` for `quarter`, counted up to `as_of_day(quarter, today)`."""
    workspace = account.workspace
    as_of = as_of_day(quarter, today)
    period = Period(quarter.start, max(quarter.start, as_of), workspace.time_zone)
    last = quarter.previous()
    # The previous quarter over as many days, so "this quarter against the last" compares like with like.
    last_period = Period(
        last.start, min(last.end, last.start + dt.timedelta(days=period.days - 1)), workspace.time_zone
    )
    label = f"{quarter.name} ({period.start.isoformat()} to {period.end.isoformat()})"
    return {
        "version": PACK_VERSION,
        "account": {"name": account.name, "tier": account.get_tier_display(), "edition": account.get_edition_display()},
        "vendor": workspace.name,
        "period": {
            "name": quarter.name,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "as_of": as_of.isoformat(),
            "label": label,
        },
        "previous": {"name": last.name, "start": last_period.start.isoformat(), "end": last_period.end.isoformat()},
        "sections": {
            "plan": _plan(account, period, label),
            "adoption": _adoption(account, period, label),
            "outcomes": _outcomes(account, period, last_period, label),
            "support": _support(account, period, label),
            "commitments": _commitments(account, as_of, label),
            "commercials": _commercials(account, as_of),
        },
        "internal": _internal(account, as_of),
    }


def customer_pack(pack: dict[str, Any]) -> dict[str, Any]:
    """The pack without its internal section: all a customer's page, PDF or link is rendered from."""
    return {key: value for key, value in pack.items() if key != "internal"}


# Value against the success plan ------------------------------------------------------------------


def _plan(account: Account, period: Period, label: str) -> dict[str, Any]:
    plan = plan_selectors.plan_for_account(account)
    _, milestones = account_journey(account)
    reached = [
        {"name": m.name, "completed_on": m.completed_on.isoformat()}
        for m in milestones
        if m.completed_on is not None and period.start <= m.completed_on <= period.end
    ]
    if plan is None:
        return {"vision": "", "goals": [], "progress": None, "milestones": reached}
    view = plan_selectors.plan_view(plan)
    goals = []
    for goal in view.goals:
        objectives = []
        for objective in goal.objectives:
            metrics = [
                {
                    "name": row.metric.name,
                    "unit": row.metric.unit,
                    "start": _num(row.metric.start_value),
                    "current": _num(row.metric.current_value),
                    "target": _num(row.metric.target_value),
                    "progress": _pct(row.progress),
                    "as_of": row.metric.current_as_of.isoformat() if row.metric.current_as_of else "",
                }
                for row in objective.metrics
            ]
            objectives.append(
                {"title": objective.objective.title, "progress": _pct(objective.progress), "metrics": metrics}
            )
        goals.append({"title": goal.goal.title, "progress": _pct(goal.progress), "objectives": objectives})
    progress = _figure(
        "plan_progress",
        "Success plan progress",
        view.progress,
        _pct(view.progress),
        "Plan progress = mean of goals' progress; a goal's = mean of its objectives'; an objective's = mean of "
        "its metrics' (current − start) / (target − start), clamped to 0–100%",
        f"Plan progress = mean over {len(goals)} goals = {_pct(view.progress)}",
        "as of today",
        "success plan",
    )
    return {"vision": plan.vision, "goals": goals, "progress": progress, "milestones": reached}


# Adoption ----------------------------------------------------------------------------------------


def _seats(account: Account, day: dt.date) -> int:
    movements = mrr_by_subscription_on(account.subscriptions.all(), day).values()
    return sum(m.seats_after for m in movements if m.mrr_after > 0)


def _features(account: Account, period: Period) -> tuple[list[str], list[dict[str, Any]], int]:
    """The features the account used in the period, and the next rung: features most accounts of the
    same tier and edition used that it did not (with the share of those peers)."""
    in_period = Q(day__gte=period.start, day__lte=period.end, events__gt=0)
    used = sorted(
        DailyFeatureUsage.objects.filter(in_period, account=account).values_list("feature", flat=True).distinct()
    )
    # One pass over the peers' (account, feature) pairs gives both the peer count and each feature's
    # share. Filtered by the workspace's peer accounts rather than by the rollups' workspace column:
    # SQLite then reads each peer's rows through the account index, not every row of the workspace.
    peer_ids = Account.objects.filter(
        workspace_id=account.workspace_id, tier=account.tier, edition=account.edition
    ).exclude(pk=account.pk)
    pairs = DailyFeatureUsage.objects.filter(in_period, account__in=peer_ids).values_list("account_id", "feature")
    by_feature: Counter[str] = Counter()
    peer_accounts: set[int] = set()
    for account_id, feature in pairs.distinct():
        by_feature[feature] += 1
        peer_accounts.add(account_id)
    peer_count = len(peer_accounts)
    rung: list[dict[str, Any]] = []
    for feature, accounts in sorted(by_feature.items(), key=lambda item: (-item[1], item[0])):
        share = accounts / peer_count
        if share < NEXT_RUNG_SHARE or len(rung) >= NEXT_RUNG_MAX:
            break
        if feature not in used:
            rung.append({"feature": feature, "peers": accounts, "share": _pct(share)})
    return used, rung, peer_count


def usage_spec(weeks: list[dict[str, Any]]) -> dict[str, Any]:
    """Vega-Lite spec of the quarter's weekly product events: the page embeds it, the PDF renders it
    to SVG on the server (reports.render)."""
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "description": "Product events per week in the quarter",
        "width": "container",
        "height": 160,
        "data": {"values": weeks},
        "mark": {"type": "bar", "color": "#2563eb"},
        "encoding": {
            "x": {"field": "week", "type": "ordinal", "title": "Week starting", "axis": {"labelAngle": -45}},
            "y": {"field": "events", "type": "quantitative", "title": "Events"},
            "tooltip": [{"field": "week", "type": "ordinal"}, {"field": "events", "type": "quantitative"}],
        },
    }


def _adoption(account: Account, period: Period, label: str) -> dict[str, Any]:
    kinds = ("seat_utilisation", "usage_trend", "feature_breadth")
    values = compute_measures(account.workspace, [account.pk], period.end, kinds=kinds)[account.pk]
    seats = _seats(account, period.end)
    utilisation = values["seat_utilisation"]
    users = round(utilisation * seats) if utilisation is not None else None
    on = f"28 days to {period.end.isoformat()}"
    figures = [
        _figure(
            "active_users",
            "Active users (28 days)",
            users,
            "—" if users is None else str(users),
            "Active users = distinct users with an event in the 28 days to the day",
            f"Active users = {users if users is not None else 'no seats'}",
            on,
            "usage rollups",
        ),
        _figure(
            "seats",
            "Seats",
            seats,
            str(seats),
            "Seats = seats of the subscriptions paying on the day (subscription ledger)",
            f"Seats = {seats}",
            period.end.isoformat(),
            "subscriptions",
        ),
        _figure(
            "seat_utilisation",
            "Active users per seat",
            utilisation,
            _pct(utilisation),
            catalogue.get("seat_utilisation").doc,
            f"Seat utilisation = {users} / {seats} = {_pct(utilisation)}" if utilisation is not None else "no seats",
            on,
            "health measure seat_utilisation",
        ),
        _figure(
            "usage_trend",
            "Usage trend",
            values["usage_trend"],
            "—" if values["usage_trend"] is None else f"{100 * values['usage_trend']:+.0f}%",
            catalogue.get("usage_trend").doc,
            catalogue.describe("usage_trend", values["usage_trend"]),
            f"7 days to {period.end.isoformat()} against the 28 before",
            "health measure usage_trend",
        ),
    ]
    used, rung, peers = _features(account, period)
    daily = DailyAccountUsage.objects.filter(account=account, day__gte=period.start, day__lte=period.end)
    by_week: dict[dt.date, int] = defaultdict(int)
    for day, events in daily.values_list("day", "events"):
        by_week[day - dt.timedelta(days=day.weekday())] += events
    first = period.start - dt.timedelta(days=period.start.weekday())
    weeks = []
    week = first
    while week <= period.end:
        weeks.append({"week": week.isoformat(), "events": by_week.get(week, 0)})
        week += dt.timedelta(days=7)
    figures.append(
        _figure(
            "features_used",
            "Features used",
            len(used),
            str(len(used)),
            "Features used = distinct features with an event in the period",
            f"Features used = {len(used)}",
            label,
            "usage rollups",
        )
    )
    return {
        "figures": figures,
        "features": used,
        "next_rung": rung,
        "peers": peers,
        "peers_label": f"{account.get_tier_display()} accounts on the {account.get_edition_display()} edition",
        "chart": usage_spec(weeks),
    }


# Outcomes ----------------------------------------------------------------------------------------


def _key_event_totals(account: Account, period: Period) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    rows = DailyAccountUsage.objects.filter(account=account, day__gte=period.start, day__lte=period.end).exclude(
        key_events={}
    )
    for found in rows.values_list("key_events", flat=True):
        for name, count in (found or {}).items():
            totals[name] += int(count)
    return totals


def _outcomes(account: Account, period: Period, last_period: Period, label: str) -> dict[str, Any]:
    now, before = _key_event_totals(account, period), _key_event_totals(account, last_period)
    rows = []
    for event, name in OUTCOME_EVENTS:
        this, last = now.get(event, 0), before.get(event, 0)
        change = None if not last else (this - last) / last
        rows.append(
            _figure(
                f"outcome:{event}",
                name,
                this,
                str(this),
                f"{name} = “{event}” events in the period, against the same days of the quarter before",
                f"{name} = {this} (last quarter {last}, change {'—' if change is None else f'{100 * change:+.0f}%'})",
                label,
                "product events",
            )
            | {"last": last, "change": "—" if change is None else f"{100 * change:+.0f}%"}
        )
    return {"rows": rows}


# Support and voice of the customer ---------------------------------------------------------------


def _support(account: Account, period: Period, label: str) -> dict[str, Any]:
    totals = DailyAccountUsage.objects.filter(account=account, day__gte=period.start, day__lte=period.end).aggregate(
        created=Sum("tickets_created"), solved=Sum("tickets_solved"), escalated=Sum("tickets_escalated")
    )
    figures = []
    for key, name, event in (
        ("created", "Tickets opened", "Ticket Created"),
        ("solved", "Tickets solved", "Ticket Solved"),
        ("escalated", "Tickets escalated", "Ticket Escalated"),
    ):
        value = int(totals[key] or 0)
        figures.append(
            _figure(
                f"tickets_{key}",
                name,
                value,
                str(value),
                f"{name} = “{event}” events in the period",
                f"{name} = {value}",
                label,
                "product events",
            )
        )
    measures = survey_measures(account.workspace, period, Filters(account=account))
    for key, name, figure, n in (
        ("nps", "NPS", measures.nps, measures.nps_n),
        ("csat", "CSAT (% > 3.5)", measures.csat, measures.csat_n),
    ):
        shown = "—" if figure.value is None else (f"{figure.value:.0f}" if key == "nps" else f"{figure.value:.0f}%")
        figures.append(
            _figure(
                key, name, figure.value, shown, figure.formula, f"{figure.worked} (n = {n})", label, "survey answers"
            )
        )
    verbatims = [
        {
            "kind": answer.survey.get_kind_display(),
            "score": answer.score,
            "comment": answer.comment,
            "answered_on": answer.answered_at.date().isoformat(),
        }
        for answer in commented_responses(account.workspace, period, Filters(account=account))[:VERBATIMS]
    ]
    return {"figures": figures, "verbatims": verbatims}


# Joint accountabilities --------------------------------------------------------------------------


def _commitments(account: Account, as_of: dt.date, label: str) -> dict[str, Any]:
    plan = plan_selectors.plan_for_account(account)
    view = plan_selectors.plan_view(plan) if plan is not None else None
    rows = []
    counts = {"done": 0, "open": 0, "overdue": 0}
    for commitment in view.commitments if view is not None else []:
        overdue = commitment.status == CommitmentStatus.OPEN and commitment.due_on < as_of
        state = "done" if commitment.status == CommitmentStatus.DONE else "overdue" if overdue else "open"
        if commitment.status != CommitmentStatus.MISSED:
            counts[state] += 1
        owner = commitment.owner_contact.full_name if commitment.owner_contact else commitment.owner_member.display_name  # type: ignore[union-attr]  # exactly one owner (a constraint)
        rows.append(
            {
                "description": commitment.description,
                "side": "Customer" if commitment.owner_contact_id else "Us",
                "owner": owner,
                "due_on": commitment.due_on.isoformat(),
                "status": "overdue" if overdue else commitment.status,
            }
        )
    figures = [
        _figure(
            f"commitments_{state}",
            f"Commitments {state}",
            count,
            str(count),
            {
                "done": "Done = commitments marked done",
                "open": "Open = open commitments not yet due",
                "overdue": "Overdue = open commitments whose due date has passed",
            }[state],
            f"{state.capitalize()} = {count}",
            f"as of {as_of.isoformat()}",
            "success plan",
        )
        for state, count in counts.items()
    ]
    return {"figures": figures, "rows": rows}


# Commercials -------------------------------------------------------------------------------------


def _commercials(account: Account, as_of: dt.date) -> dict[str, Any]:
    currency = account.workspace.currency
    mrr = account_mrr_on(account, as_of)
    arr = mrr * 12
    seats = _seats(account, as_of)
    renewal = next_renewal_on(account)
    return {
        "figures": [
            _figure(
                "arr",
                "ARR",
                float(arr),
                format_money(arr, currency),
                "ARR = 12 × MRR in force on the day (ledger)",
                f"ARR = 12 × {format_money(mrr, currency)} = {format_money(arr, currency)}",
                as_of.isoformat(),
                "subscriptions",
            ),
            _figure(
                "commercial_seats",
                "Seats",
                seats,
                str(seats),
                "Seats = seats of the subscriptions paying on the day",
                f"Seats = {seats}",
                as_of.isoformat(),
                "subscriptions",
            ),
            _figure(
                "renewal_on",
                "Renewal date",
                renewal.isoformat() if renewal else None,
                renewal.isoformat() if renewal else "—",
                "Renewal = the earliest term end of an active subscription",
                f"Renewal = {renewal.isoformat() if renewal else 'none'}",
                "today",
                "subscriptions",
            ),
        ]
    }


# Internal only -----------------------------------------------------------------------------------


def _internal(account: Account, as_of: dt.date) -> dict[str, Any]:
    latest = (
        HealthScore.objects.filter(account=account, day__lte=as_of).select_related("scorecard").order_by("-day").first()
    )
    health: dict[str, Any] = {"score": None}
    if latest is not None:
        breakdown = health_breakdown(account, latest)
        health = {
            "score": latest.overall,
            "band": latest.get_band_display(),
            "day": latest.day.isoformat(),
            "worked": f"Health score {latest.overall:.0f} ({latest.get_band_display()}) on {latest.day.isoformat()}"
            if latest.overall is not None
            else "Health score not computed",
            "change": breakdown.delta or "",
            "rows": [
                {"label": row.label, "words": row.words, "score": row.score, "weight": row.weight}
                for row in breakdown.rows
            ],
        }
    risk = account_risk(account)
    churn: dict[str, Any] = {"probability": None}
    if risk is not None:
        churn = {
            "probability": risk.probability,
            "shown": _pct(risk.probability),
            "day": risk.day.isoformat(),
            "reasons": [str(reason.get("label") or reason.get("feature")) for reason in labelled_reasons(risk.reasons)],
        }
    expansion = [
        {"signal": o.get_signal_display(), "explanation": o.explanation, "amount": float(o.amount)}
        for o in ExpansionOpportunity.objects.filter(account=account, status=ExpansionStatus.OPEN).order_by(
            "-opened_at"
        )[:5]
    ]
    risks = [
        {"title": b.title, "kind": b.get_kind_display(), "mitigation": b.note, "opened_on": b.opened_on.isoformat()}
        for b in Barrier.objects.filter(account=account, state=BarrierState.OPEN).order_by("opened_on", "id")[:10]
    ]
    pulse = current_pulse(account, day=as_of)
    notes = []
    if pulse is not None and pulse.note:
        notes.append({"on": pulse.set_on.isoformat(), "text": pulse.note})
    return {"health": health, "churn": churn, "expansion": expansion, "risks": risks, "notes": notes}
