"""Health measures: every kind's raw value for many accounts at once, as of any calendar day.

`compute_measures(workspace, account_ids, day)` runs a fixed handful of aggregate queries grouped by
account (one over the daily account rollups, one each over the per-user and per-feature rollups,
the key-event history, the contacts, the touchpoints, the survey answers, the subscription ledger
and the pulses), never one per account: 3 accounts and 10,000 cost the same number of queries.
Only the queries the requested kinds need are run.

Everything is read as it stood at the end of day D in the workspace's time zone, so a backtest can
replay any past day: rollup rows dated on or before D, touchpoints and answers before the next
midnight, a contact counts as active on D when still active or when they left after D, and seats
come from each subscription's ledger movement in force on D. The raw value semantics of each kind
are the contract in the scorecard documentation; windows end on D inclusive ("28 days" = D-27..D).

Known limit of the as-of view: a subscription's term end is kept as it is now (the ledger records
MRR, seats and product, not terms), so `days_to_renewal` on a past day sees today's term end of the
subscriptions that were active then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from django.db.models import (
    Avg,
    Case,
    Count,
    Exists,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)

from retain.accounts import ledger
from retain.accounts.choices import ContactRole, ContactStatus
from retain.accounts.models import Account, Contact, Touchpoint
from retain.health.catalogue import family_of
from retain.health.models import Pulse
from retain.lib.dates import local_day, start_of_day
from retain.lib.queries import MAX_IDS_IN_QUERY
from retain.surveys.choices import SurveyKind
from retain.surveys.models import Response
from retain.tenancy.models import Workspace
from retain.usage.models import DailyAccountUsage, DailyFeatureUsage, DailyUserUsage
from retain.usage.vocabulary import KEY_EVENTS

Values = dict[str, float | None]
Params = Mapping[str, Mapping[str, Any]]

WINDOW_DAYS = 28
TREND_RECENT_DAYS = 7
# The trend's baseline: the 28 days before the recent week (D-35..D-8).
TREND_BASELINE_DAYS = 28
# The trend compares complete days: its recent week ends the day before D (D-7..D-1). Scoring today
# while today is under way would otherwise count a few hours as a day, and every account's trend,
# and with it the share of green, would depend on the hour the scores were computed.
TREND_LAG_DAYS = 1
TICKET_WINDOW_DAYS = 90
SPONSOR_DAYS = 90
NPS_DAYS = 365
CSAT_DAYS = 90

KINDS = (
    "active_users_per_seat",
    "seat_utilisation",
    "active_days",
    "logins",
    "feature_breadth",
    "key_events",
    "usage_trend",
    "champion_active",
    "sponsor_engaged",
    "days_since_touchpoint",
    "open_tickets",
    "tickets_per_active_user",
    "nps",
    "csat",
    "csm_pulse",
    "days_to_renewal",
)


class UnknownMeasure(ValueError):
    pass


class _Scope:
    """The accounts a computation covers, and how each query restricts itself to them."""

    def __init__(self, workspace: Workspace, account_ids: Iterable[int] | None) -> None:
        self.workspace = workspace
        self.ids: list[int] | None = None if account_ids is None else sorted(set(account_ids))

    def filter(self, queryset: QuerySet[Any], field: str = "account_id") -> QuerySet[Any]:
        queryset = queryset.filter(workspace=self.workspace)
        if self.ids is not None and len(self.ids) <= MAX_IDS_IN_QUERY:
            queryset = queryset.filter(**{f"{field}__in": self.ids})
        return queryset

    def all_ids(self) -> list[int]:
        if self.ids is None:
            accounts = Account.objects.filter(workspace=self.workspace).order_by("id")
            self.ids = list(accounts.values_list("id", flat=True))
        return self.ids


def compute_measures(
    workspace: Workspace,
    account_ids: Iterable[int] | None,
    day: dt.date,
    kinds: Collection[str] | None = None,
    params: Params | None = None,
) -> dict[int, Values]:
    """Raw values of `kinds` (all kinds when None) for each account on `day`: {account_id: {kind: value}}.

    `account_ids` None means every account of the workspace. `params` gives per-kind options:
    {"key_events": {"events": [...]}, "sponsor_engaged": {"days": 60}}. A value is None where the
    kind has no defined value (no seats, no baseline, never touched, no answers, no pulse).
    """
    wanted = list(KINDS) if kinds is None else list(dict.fromkeys(kinds))
    unknown = [
        kind
        for kind in wanted
        if kind not in KINDS and kind not in _ADDED_KINDS and family_of(kind) not in _FAMILY_QUERIES
    ]
    if unknown:
        raise UnknownMeasure(f"unknown measure kind: {', '.join(unknown)}")
    params = params or {}
    scope = _Scope(workspace, account_ids)
    ids = scope.all_ids()
    inputs: dict[int, Values] = {account_id: {} for account_id in ids}
    for query, provides in (*_QUERIES, *_ADDED_QUERIES):
        if not any(kind in wanted for kind in provides):
            continue
        for account_id, row in query(scope, day, params).items():
            if account_id in inputs:  # a workspace-wide query also sees accounts not asked for
                inputs[account_id].update(row)
    for prefix, family_query in _FAMILY_QUERIES.items():
        named = [kind for kind in wanted if family_of(kind) == prefix]
        if named:
            for account_id, row in family_query(scope, day, named).items():
                if account_id in inputs:
                    inputs[account_id].update(row)
    return {account_id: {kind: _value(kind, found) for kind in wanted} for account_id, found in inputs.items()}


def _value(kind: str, found: Values) -> float | None:
    """A kind's value from what the queries found for one account (nothing found: zero or undefined)."""
    if kind in ("active_users_per_seat", "seat_utilisation"):
        seats = found.get("_seats")
        if not seats:
            return None
        users = found.get("_mean_active_users") if kind == "active_users_per_seat" else found.get("_users_28")
        return (users or 0) / seats
    if kind == "tickets_per_active_user":
        users = found.get("_users_28")
        return (found.get("_tickets_28") or 0) / users if users else None
    return found.get(kind, _EMPTY.get(kind))


# The value of a kind for an account no row was found for: counts are 0, ratios undefined.
_EMPTY: dict[str, float | None] = {
    "active_days": 0,
    "logins": 0,
    "feature_breadth": 0,
    "key_events": 0,
    "champion_active": 0,
    "sponsor_engaged": 0,
    "open_tickets": 0,
}


# Queries ----------------------------------------------------------------------------------------
# Each returns {account_id: {name: value}} for the accounts that have rows; the names are kinds or,
# prefixed with "_", inputs that `_value` combines into the per-seat and per-user ratios.


def _in_window(end: dt.date, days: int, field: str = "day", before: int = 0) -> Q:
    """Rows dated in the `days` calendar days ending `before` days before `end` (inclusive)."""
    last = end - dt.timedelta(days=before)
    return Q(**{f"{field}__gte": last - dt.timedelta(days=days - 1), f"{field}__lte": last})


def _daily_account(scope: _Scope, day: dt.date, params: Params) -> dict[int, Values]:
    """Activity, logins, tickets and the usage trend from the daily account rollups: one scan of 90 days."""
    window = _in_window(day, WINDOW_DAYS)
    recent = _in_window(day, TREND_RECENT_DAYS, before=TREND_LAG_DAYS)
    baseline = _in_window(day, TREND_BASELINE_DAYS, before=TREND_LAG_DAYS + TREND_RECENT_DAYS)
    earliest = min(
        day - dt.timedelta(days=TICKET_WINDOW_DAYS - 1),
        day - dt.timedelta(days=TREND_LAG_DAYS + TREND_RECENT_DAYS + TREND_BASELINE_DAYS - 1),
    )
    rows = (
        scope.filter(DailyAccountUsage.objects.filter(day__gte=earliest, day__lte=day))
        .values("account_id")
        .annotate(
            active_user_days=Sum("active_users", filter=window),
            active_days=Count("id", filter=window & Q(events__gt=0)),
            logins=Sum("logins", filter=window),
            tickets_28=Sum("tickets_created", filter=window),
            created_90=Sum("tickets_created", filter=_in_window(day, TICKET_WINDOW_DAYS)),
            solved_90=Sum("tickets_solved", filter=_in_window(day, TICKET_WINDOW_DAYS)),
            recent_events=Sum("events", filter=recent),
            baseline_events=Sum("events", filter=baseline),
        )
    )
    found: dict[int, Values] = {}
    for row in rows:
        baseline_events = row["baseline_events"] or 0
        recent_events = row["recent_events"] or 0
        trend = None
        if baseline_events:
            # recent / (7 × baseline / 28) − 1
            trend = recent_events * TREND_BASELINE_DAYS / (TREND_RECENT_DAYS * baseline_events) - 1
        found[row["account_id"]] = {
            "active_days": row["active_days"],
            "logins": row["logins"] or 0,
            "open_tickets": max(0, (row["created_90"] or 0) - (row["solved_90"] or 0)),
            "usage_trend": trend,
            "_mean_active_users": (row["active_user_days"] or 0) / WINDOW_DAYS,
            "_tickets_28": row["tickets_28"] or 0,
        }
    return found


def _distinct_users(scope: _Scope, day: dt.date, params: Params) -> dict[int, Values]:
    rows = (
        scope.filter(DailyUserUsage.objects.filter(_in_window(day, WINDOW_DAYS), events__gt=0))
        .values("account_id")
        .annotate(users=Count("user_id", distinct=True))
    )
    return {row["account_id"]: {"_users_28": row["users"]} for row in rows}


def _feature_breadth(scope: _Scope, day: dt.date, params: Params) -> dict[int, Values]:
    rows = (
        scope.filter(DailyFeatureUsage.objects.filter(_in_window(day, WINDOW_DAYS), events__gt=0))
        .values("account_id")
        .annotate(features=Count("feature", distinct=True))
    )
    return {row["account_id"]: {"feature_breadth": row["features"]} for row in rows}


def _key_events(scope: _Scope, day: dt.date, params: Params) -> dict[int, Values]:
    """How many of the named key events an account has ever shown on or before the day."""
    events = list(dict.fromkeys(params.get("key_events", {}).get("events") or KEY_EVENTS))
    if not events:
        return {}
    seen = {
        f"seen_{index}": Max(
            Case(When(key_events__has_key=name, then=Value(1)), default=Value(0), output_field=IntegerField())
        )
        for index, name in enumerate(events)
    }
    rows = (
        # The cheap "not empty" test first: most days have no key event, and the JSON key tests cost.
        scope.filter(DailyAccountUsage.objects.filter(~Q(key_events={}), day__lte=day, key_events__has_any_keys=events))
        .values("account_id")
        .annotate(**seen)
    )
    return {row["account_id"]: {"key_events": sum(row[name] for name in seen)} for row in rows}


def _active_on(day: dt.date, prefix: str = "") -> Q:
    """Contacts active on the day: still active, or left only after it."""
    return Q(**{f"{prefix}status": ContactStatus.ACTIVE}) | Q(**{f"{prefix}left_on__gt": day})


KEY_ROLES = (ContactRole.CHAMPION, ContactRole.EXECUTIVE_SPONSOR)


def _contacts(scope: _Scope, day: dt.date, params: Params) -> dict[int, Values]:
    """Champion present and executive sponsor engaged, in one pass over the key contacts."""
    tz = scope.workspace.time_zone
    sponsor_days = int(params.get("sponsor_engaged", {}).get("days") or SPONSOR_DAYS)
    since = start_of_day(day - dt.timedelta(days=sponsor_days - 1), tz)
    until = start_of_day(day + dt.timedelta(days=1), tz)
    on_touchpoint = Touchpoint.contacts.through.objects.filter(
        contact_id=OuterRef("pk"), touchpoint__occurred_at__gte=since, touchpoint__occurred_at__lt=until
    )
    answered = Response.objects.filter(contact_id=OuterRef("pk"), answered_at__gte=since, answered_at__lt=until)
    engaged = Q(role=ContactRole.EXECUTIVE_SPONSOR) & (Exists(on_touchpoint) | Exists(answered))
    rows = (
        scope.filter(Contact.objects.filter(_active_on(day), role__in=KEY_ROLES))
        .values("account_id")
        .annotate(
            champions=Count("id", filter=Q(role=ContactRole.CHAMPION)),
            engaged=Max(Case(When(engaged, then=Value(1)), default=Value(0), output_field=IntegerField())),
        )
    )
    return {
        row["account_id"]: {"champion_active": int(row["champions"] > 0), "sponsor_engaged": row["engaged"]}
        for row in rows
    }


def _touchpoints(scope: _Scope, day: dt.date, params: Params) -> dict[int, Values]:
    tz = scope.workspace.time_zone
    until = start_of_day(day + dt.timedelta(days=1), tz)
    rows = (
        scope.filter(Touchpoint.objects.filter(occurred_at__lt=until))
        .values("account_id")
        .annotate(last=Max("occurred_at"))
    )
    return {row["account_id"]: {"days_since_touchpoint": (day - local_day(row["last"], tz)).days} for row in rows}


def _nps(scope: _Scope, day: dt.date, params: Params) -> dict[int, Values]:
    """NPS of each contact's latest NPS answer in the year to the day, per account."""
    tz = scope.workspace.time_zone
    since = start_of_day(day - dt.timedelta(days=NPS_DAYS - 1), tz)
    until = start_of_day(day + dt.timedelta(days=1), tz)
    in_year = Response.objects.filter(survey__kind=SurveyKind.NPS, answered_at__gte=since, answered_at__lt=until)
    later = in_year.filter(contact_id=OuterRef("contact_id")).filter(
        Q(answered_at__gt=OuterRef("answered_at")) | Q(answered_at=OuterRef("answered_at"), id__gt=OuterRef("id"))
    )
    rows = (
        scope.filter(in_year.filter(~Exists(later)))
        .values("account_id")
        .annotate(
            answers=Count("id"),
            promoters=Count("id", filter=Q(score__gte=9)),
            detractors=Count("id", filter=Q(score__lte=6)),
        )
    )
    return {
        row["account_id"]: {"nps": 100 * (row["promoters"] - row["detractors"]) / row["answers"]}
        for row in rows
        if row["answers"]
    }


def _csat(scope: _Scope, day: dt.date, params: Params) -> dict[int, Values]:
    tz = scope.workspace.time_zone
    since = start_of_day(day - dt.timedelta(days=CSAT_DAYS - 1), tz)
    until = start_of_day(day + dt.timedelta(days=1), tz)
    rows = (
        scope.filter(
            Response.objects.filter(survey__kind=SurveyKind.CSAT, answered_at__gte=since, answered_at__lt=until)
        )
        .values("account_id")
        .annotate(mean=Avg("score"))
    )
    return {row["account_id"]: {"csat": float(row["mean"])} for row in rows if row["mean"] is not None}


def _subscriptions(scope: _Scope, day: dt.date, params: Params) -> dict[int, Values]:
    """Seats and the next term end, from each subscription's ledger movement in force on the day.

    A subscription counts when that movement leaves it paying (MRR after > 0); "in force" is the
    subscription ledger's (accounts.ledger).
    """
    rows = (
        scope.filter(ledger.in_force_movements(day))
        .filter(mrr_after__gt=0)
        .values("account_id")
        .annotate(
            seats=Sum("seats_after"),
            next_term_end=Min("subscription__term_end", filter=Q(subscription__term_end__gte=day)),
        )
    )
    found: dict[int, Values] = {}
    for row in rows:
        next_term_end = row["next_term_end"]
        found[row["account_id"]] = {
            "_seats": row["seats"] or 0,
            "days_to_renewal": None if next_term_end is None else (next_term_end - day).days,
        }
    return found


def _pulses(scope: _Scope, day: dt.date, params: Params) -> dict[int, Values]:
    later = Pulse.objects.filter(account_id=OuterRef("account_id"), set_on__lte=day).filter(
        Q(set_on__gt=OuterRef("set_on"))
        | Q(set_on=OuterRef("set_on"), created_at__gt=OuterRef("created_at"))
        | Q(set_on=OuterRef("set_on"), created_at=OuterRef("created_at"), id__gt=OuterRef("id"))
    )
    rows = scope.filter(Pulse.objects.filter(set_on__lte=day).filter(~Exists(later))).values_list("account_id", "value")
    return {account_id: {"csm_pulse": value} for account_id, value in rows}


Query = Callable[[_Scope, dt.date, Params], dict[int, Values]]

# Which query feeds which kinds; "_" names are inputs of the per-seat and per-user ratios.
_QUERIES: tuple[tuple[Query, tuple[str, ...]], ...] = (
    (
        _daily_account,
        (
            "active_days",
            "logins",
            "open_tickets",
            "usage_trend",
            "active_users_per_seat",
            "tickets_per_active_user",
        ),
    ),
    (_distinct_users, ("seat_utilisation", "tickets_per_active_user")),
    (_feature_breadth, ("feature_breadth",)),
    (_key_events, ("key_events",)),
    (_contacts, ("champion_active", "sponsor_engaged")),
    (_touchpoints, ("days_since_touchpoint",)),
    (_nps, ("nps",)),
    (_csat, ("csat",)),
    (_subscriptions, ("days_to_renewal", "active_users_per_seat", "seat_utilisation")),
    (_pulses, ("csm_pulse",)),
)

# Kinds that later apps compute from their own tables (journeys: milestones_on_track). They are
# computed when asked for by name; `kinds=None` still means the built-in contract above.
_ADDED_QUERIES: list[tuple[Query, tuple[str, ...]]] = []
_ADDED_KINDS: set[str] = set()
Scope = _Scope


def register_query(query: Query, provides: tuple[str, ...]) -> None:
    """Let an app add a query that provides kinds of its own (registered in the catalogue too)."""
    clash = [kind for kind in provides if kind in KINDS or kind in _ADDED_KINDS]
    if clash:
        raise ValueError(f"measure kinds already computed: {', '.join(clash)}")
    _ADDED_QUERIES.append((query, provides))
    _ADDED_KINDS.update(provides)


FamilyQuery = Callable[[_Scope, dt.date, list[str]], dict[int, Values]]
# Families of kinds named by data (health.warehouse: "warehouse.KEY"): one query answers every
# kind of the family a computation asks for.
_FAMILY_QUERIES: dict[str, FamilyQuery] = {}


def register_family_query(prefix: str, query: FamilyQuery) -> None:
    if prefix in _FAMILY_QUERIES:
        raise ValueError(f"measure family {prefix!r} already has a query")
    _FAMILY_QUERIES[prefix] = query
