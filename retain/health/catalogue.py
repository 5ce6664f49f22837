"""The catalogue of measure kinds a scorecard can score (pure: no Django).

Each kind names one raw value that the database side computes for many accounts at once, as of a
day D (windows end on D inclusive, calendar days in the workspace time zone), and says which way is
healthy, what the value means, which parameters it takes and how to put a value into words. The
words are what a CSM reads when a score changes ("41 days since the last touchpoint"), so every kind
documents its window next to its formula.

Later features add kinds of their own with `register(...)`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from retain.usage.vocabulary import KEY_EVENTS

USAGE = "usage"
RELATIONSHIP = "relationship"
SUPPORT = "support"
SENTIMENT = "sentiment"
COMMERCIAL = "commercial"
GROUPS = (USAGE, RELATIONSHIP, SUPPORT, SENTIMENT, COMMERCIAL)

HIGHER_IS_HEALTHIER = 1
LOWER_IS_HEALTHIER = -1

Params = Mapping[str, Any]


@dataclass(frozen=True)
class Param:
    """A parameter a measure kind accepts: its default and a check that returns an error or None."""

    name: str
    default: Any
    doc: str
    check: Callable[[Any], str | None]


@dataclass(frozen=True)
class MeasureKind:
    kind: str
    name: str
    group: str
    direction: int
    unit: str
    doc: str
    words: Callable[[float, Params], str]
    when_missing: str
    params: Mapping[str, Param] = field(default_factory=dict)

    def resolve(self, given: Params | None = None) -> dict[str, Any]:
        """The parameters with defaults filled in (the given ones are assumed valid)."""
        resolved = {name: param.default for name, param in self.params.items()}
        resolved.update(given or {})
        return resolved

    def describe(self, value: float | None, params: Params | None = None) -> str:
        """The raw value in words, e.g. "41 days since the last touchpoint"."""
        resolved = self.resolve(params)
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return self.when_missing
        return self.words(float(value), resolved)


class _Catalogue(dict[str, MeasureKind]):
    """The registered kinds, plus the kinds of each family (`warehouse.KEY`) made when first named.

    A family's kinds are not enumerable (their keys are workspace data), so iterating lists only the
    registered ones; `kind in MEASURES` and `MEASURES[kind]` know both.
    """

    def __contains__(self, kind: object) -> bool:
        return dict.__contains__(self, kind) or (isinstance(kind, str) and _family_kind(kind) is not None)

    def __missing__(self, kind: str) -> MeasureKind:
        made = _family_kind(kind)
        if made is None:
            raise KeyError(kind)
        return made

    def get(self, kind: str, default: Any = None) -> Any:  # type: ignore[override]  # the family kinds too
        return self[kind] if kind in self else default  # noqa: SIM401 - self.get is this method


MEASURES: dict[str, MeasureKind] = _Catalogue()
# Prefix → a function making the kind for "prefix.suffix" (None when the suffix is not valid).
FAMILIES: dict[str, Callable[[str], MeasureKind | None]] = {}


def register_family(prefix: str, make: Callable[[str], MeasureKind | None]) -> None:
    """Let an app answer for every kind named `prefix.SUFFIX` (kinds whose names are data)."""
    if prefix in FAMILIES:
        raise ValueError(f"measure family {prefix!r} is already registered")
    FAMILIES[prefix] = make


def family_of(kind: str) -> str | None:
    prefix, dot, suffix = kind.partition(".")
    return prefix if dot and suffix and prefix in FAMILIES else None


def _family_kind(kind: str) -> MeasureKind | None:
    prefix = family_of(kind)
    return None if prefix is None else FAMILIES[prefix](kind.partition(".")[2])


def register(measure: MeasureKind, *, replace: bool = False) -> MeasureKind:
    """Add a kind to the registry; registering a kind twice is a mistake unless `replace` says so."""
    if measure.group not in GROUPS:
        raise ValueError(f"{measure.kind}: group must be one of {', '.join(GROUPS)}, not {measure.group!r}")
    if measure.direction not in (HIGHER_IS_HEALTHIER, LOWER_IS_HEALTHIER):
        raise ValueError(f"{measure.kind}: direction must be +1 or -1")
    if measure.kind in MEASURES and not replace:
        raise ValueError(f"measure kind {measure.kind!r} is already registered")
    MEASURES[measure.kind] = measure
    return measure


def get(kind: str) -> MeasureKind:
    try:
        return MEASURES[kind]
    except KeyError:
        raise KeyError(f"{kind!r} is not a measure kind") from None


def describe(kind: str, value: float | None, params: Params | None = None) -> str:
    return get(kind).describe(value, params)


# Words --------------------------------------------------------------------------------------------


def _n(value: float, digits: int = 0) -> str:
    """A number as people write it: no trailing zeros, thousands separated."""
    if digits == 0 or float(value).is_integer():
        return f"{round(value):,}"
    return f"{value:,.{digits}f}".rstrip("0").rstrip(".")


def _plural(value: float, one: str, many: str) -> str:
    return f"{_n(value)} {one if round(value) == 1 else many}"


def _pct(value: float) -> str:
    return f"{round(value * 100)}%"


def _trend(value: float, params: Params) -> str:
    change = round(value * 100)
    if change == 0:
        return "events level with their 28-day baseline"
    side = "above" if change > 0 else "below"
    return f"events {abs(change)}% {side} their 28-day baseline"


def _key_events(value: float, params: Params) -> str:
    return f"{_n(value)} of {len(params['events'])} key events reached"


def _sponsor(value: float, params: Params) -> str:
    if value >= 1:
        return f"executive sponsor engaged in the last {params['days']} days"
    return f"no executive sponsor engaged in the last {params['days']} days"


def _touchpoint(value: float, params: Params) -> str:
    if round(value) == 0:
        return "a touchpoint today"
    return f"{_plural(value, 'day', 'days')} since the last touchpoint"


def _renewal(value: float, params: Params) -> str:
    if round(value) == 0:
        return "renewal today"
    return f"renewal in {_plural(value, 'day', 'days')}"


def _pulse(value: float, params: Params) -> str:
    colour = {1: "red", 2: "yellow", 3: "green"}.get(round(value))
    return f"the CSM's pulse is {colour}" if colour else f"the CSM's pulse is {_n(value)}"


def _nps(value: float, params: Params) -> str:
    return f"NPS {'+' if value > 0 else ''}{_n(value)} from each contact's latest answer this year"


# Parameter checks ---------------------------------------------------------------------------------


def _event_names(value: Any) -> str | None:
    if not isinstance(value, Sequence) or isinstance(value, str) or not value:
        return "must be a non-empty list of event names"
    if not all(isinstance(name, str) and name.strip() for name in value):
        return "every event name must be non-empty text"
    if len(set(value)) != len(value):
        return "lists an event twice"
    return None


def _days(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 730:
        return "must be a whole number of days from 1 to 730"
    return None


# The kinds ----------------------------------------------------------------------------------------

for _measure in (
    MeasureKind(
        kind="active_users_per_seat",
        name="Active users per seat",
        group=USAGE,
        direction=HIGHER_IS_HEALTHIER,
        unit="users per seat",
        doc="The mean number of daily active users over the 28 days D-27..D, divided by the seats paid "
        "for on D (seats of every subscription in force with MRR above zero). 0.5 means half the seats "
        "are in use on an average day. Missing when the account pays for no seats.",
        words=lambda v, p: f"{_n(v, 2)} active users per seat on an average day of the last 28",
        when_missing="no paid seats",
    ),
    MeasureKind(
        kind="seat_utilisation",
        name="Seat utilisation",
        group=COMMERCIAL,
        direction=HIGHER_IS_HEALTHIER,
        unit="share of seats",
        doc="Distinct users active at least once in the 28 days D-27..D, divided by the seats paid for on "
        "D. Below 1 the customer pays for seats nobody uses (a contraction risk at renewal); above 1 "
        "more people use the product than pay for it (an expansion lead). Missing when there are no seats.",
        words=lambda v, p: f"{_pct(v)} of seats used in the last 28 days",
        when_missing="no paid seats",
    ),
    MeasureKind(
        kind="active_days",
        name="Active days",
        group=USAGE,
        direction=HIGHER_IS_HEALTHIER,
        unit="days",
        doc="Days among the 28 days D-27..D on which anyone at the account used the product (at least "
        "one event): 0 to 28. Habit rather than volume; a working-week product sits near 20.",
        words=lambda v, p: f"active on {_n(v)} of the last 28 days",
        when_missing="no usage data",
    ),
    MeasureKind(
        kind="logins",
        name="Logins",
        group=USAGE,
        direction=HIGHER_IS_HEALTHIER,
        unit="logins",
        doc="Sign-ins (the login event role, `Signed In` by default) over the 28 days D-27..D.",
        words=lambda v, p: f"{_plural(v, 'login', 'logins')} in the last 28 days",
        when_missing="no usage data",
    ),
    MeasureKind(
        kind="feature_breadth",
        name="Feature breadth",
        group=USAGE,
        direction=HIGHER_IS_HEALTHIER,
        unit="features",
        doc="Distinct features used over the 28 days D-27..D (a track event's `properties.feature`, "
        "else its name; logins, tickets and key events are not features). Breadth of adoption: an "
        "account leaning on one feature replaces us more easily than one using eight.",
        words=lambda v, p: f"{_plural(v, 'feature', 'features')} used in the last 28 days",
        when_missing="no usage data",
    ),
    MeasureKind(
        kind="key_events",
        name="Key events reached",
        group=USAGE,
        direction=HIGHER_IS_HEALTHIER,
        unit="events",
        doc="How many of the named key events (seed 002's critical path: blog migrated, CRM integrated, "
        "tracking code installed, ...) the account has ever sent, on or before D. Counts distinct "
        "names, not occurrences; `events` picks the list (default: the ten milestone events).",
        words=_key_events,
        when_missing="no usage data",
        params={"events": Param("events", list(KEY_EVENTS), "the event names that count as key events", _event_names)},
    ),
    MeasureKind(
        kind="usage_trend",
        name="Usage trend",
        group=USAGE,
        direction=HIGHER_IS_HEALTHIER,
        unit="change",
        doc="Events in the last 7 complete days (D-7..D-1) against the account's own baseline: 7 × the "
        "mean daily events over the 28 days before them (D-35..D-8), minus 1. -0.38 means 38% below "
        "baseline. The day scored is left out so a score computed while it is under way does not "
        "count a few hours as a day. "
        "Missing when the baseline is zero (a new or dormant account has nothing to compare with).",
        words=_trend,
        when_missing="no usage baseline to compare with",
    ),
    MeasureKind(
        kind="champion_active",
        name="Champion in place",
        group=RELATIONSHIP,
        direction=HIGHER_IS_HEALTHIER,
        unit="yes/no",
        doc="1 when a contact with the champion role is active on D (status active, or leaving after "
        "D), else 0. Seed 000's event trigger: a champion who changes jobs is the classic early "
        "warning.",
        words=lambda v, p: "a champion in place" if v >= 1 else "no champion",
        when_missing="no contacts",
    ),
    MeasureKind(
        kind="sponsor_engaged",
        name="Executive sponsor engaged",
        group=RELATIONSHIP,
        direction=HIGHER_IS_HEALTHIER,
        unit="yes/no",
        doc="1 when an active executive-sponsor contact took part in a touchpoint or answered a survey "
        "in the `days` days to D (default 90), else 0. Seed 000's executive sponsor program for "
        "high-touch accounts.",
        words=_sponsor,
        when_missing="no contacts",
        params={"days": Param("days", 90, "how far back an engagement counts, in days", _days)},
    ),
    MeasureKind(
        kind="days_since_touchpoint",
        name="Days since last touchpoint",
        group=RELATIONSHIP,
        direction=LOWER_IS_HEALTHIER,
        unit="days",
        doc="Days from the last touchpoint (call, meeting, e-mail or note) on or before D to D. "
        "Missing when the account never had one.",
        words=_touchpoint,
        when_missing="no touchpoint yet",
    ),
    MeasureKind(
        kind="open_tickets",
        name="Open tickets",
        group=SUPPORT,
        direction=LOWER_IS_HEALTHIER,
        unit="tickets",
        doc="Support tickets created minus tickets solved over the 90 days to D, floored at 0: a "
        "rough backlog from the ticket events.",
        words=lambda v, p: f"{_plural(v, 'open ticket', 'open tickets')}",
        when_missing="no support data",
    ),
    MeasureKind(
        kind="tickets_per_active_user",
        name="Tickets per active user",
        group=SUPPORT,
        direction=LOWER_IS_HEALTHIER,
        unit="tickets per user",
        doc="Tickets created in the 28 days D-27..D divided by the distinct users active in them. "
        "Friction relative to the size of the team using the product; missing when nobody was active.",
        words=lambda v, p: f"{_n(v, 2)} tickets per active user in the last 28 days",
        when_missing="no active users to file tickets",
    ),
    MeasureKind(
        kind="nps",
        name="NPS",
        group=SENTIMENT,
        direction=HIGHER_IS_HEALTHIER,
        unit="NPS (-100 to 100)",
        doc="Net Promoter Score of each contact's latest NPS answer given in the 365 days to D: "
        "% promoters (9-10) minus % detractors (0-6). Missing when nobody answered.",
        words=_nps,
        when_missing="no NPS answers in the last year",
    ),
    MeasureKind(
        kind="csat",
        name="CSAT",
        group=SENTIMENT,
        direction=HIGHER_IS_HEALTHIER,
        unit="score (1-5)",
        doc="Mean CSAT score (1 to 5) of the answers given in the 90 days to D. Seed 003 counts the "
        "share above 3.5; the mean keeps one number per account. Missing when nobody answered.",
        words=lambda v, p: f"CSAT {_n(v, 1)} of 5 over the last 90 days",
        when_missing="no CSAT answers in the last 90 days",
    ),
    MeasureKind(
        kind="csm_pulse",
        name="CSM pulse",
        group=SENTIMENT,
        direction=HIGHER_IS_HEALTHIER,
        unit="1 red, 2 yellow, 3 green",
        doc="The CSM's own latest reading of the account on or before D: 1 red, 2 yellow, 3 green. "
        "What the data cannot see (a reorganisation, a budget freeze). Missing when never set.",
        words=_pulse,
        when_missing="no CSM pulse set",
    ),
    MeasureKind(
        kind="days_to_renewal",
        name="Days to renewal",
        group=COMMERCIAL,
        direction=HIGHER_IS_HEALTHIER,
        unit="days",
        doc="Days from D to the next term end on or after D among the subscriptions active on D. More "
        "days leave more time to act; scorecards usually band it (seed 002: the renewal process "
        "starts 90 days out). Missing when no term end lies ahead.",
        words=_renewal,
        when_missing="no renewal ahead",
    ),
):
    register(_measure)
