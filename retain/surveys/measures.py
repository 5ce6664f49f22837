"""Survey measures: NPS with its standard error, the score distribution, response rate, CSAT share.

Set-based reads: a figure for one slice is two aggregate queries (answers counted per kind and
score, invitations counted with their answers), a breakdown by account, tier, CSM or survey is the
same two queries grouped by that dimension, and a trend the same two grouped by month or week, so
the number of queries never depends on the number of answers or accounts. The arithmetic is
`retain.lib.formulas`; every figure carries its formula, its inputs and the worked line a page
shows next to it ("NPS = %promoters − %detractors = 46% − 12% = 34 (n = 120)").

A period is a pair of calendar days (both included) in the workspace's time zone. An answer counts
in the period it was given; the response rate is the answers to the invitations sent in the period
over those invitations, whenever the answer came. "CSM" is the account's owner today.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from retain.accounts.choices import Tier
from retain.accounts.figures import Figure, Filters, Period, account_scope
from retain.accounts.models import Account, Contact, Segment
from retain.lib import formulas
from retain.lib.dates import zone
from retain.surveys.choices import InvitationStatus, SurveyKind
from retain.surveys.models import SCALES, Invitation, Response, Survey
from retain.tenancy.models import Member, Workspace

# A breakdown row is one of these; "segment" is handled apart (an account can be in several).
DIMENSIONS = {
    "account": "account_id",
    "tier": "account__tier",
    "owner": "account__owner_id",
    "survey": "survey_id",
}
GRAINS = ("month", "week")
RECENT_COMMENTS = 3


# Values ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measures:
    """The figures of one slice of answers."""

    nps: Figure
    nps_standard_error: Figure
    nps_distribution: tuple[int, ...]  # answers scoring 0, 1, …, 10
    csat: Figure
    csat_distribution: tuple[int, ...]  # answers scoring 1, …, 5
    response_rate: Figure
    nps_n: int
    csat_n: int
    invitations_sent: int
    invitations_answered: int

    @property
    def n(self) -> int:
        return self.nps_n + self.csat_n

    @property
    def nps_interval(self) -> tuple[float, float] | None:
        """The 95% interval, NPS ± 1.96·SE, clipped to −100..100."""
        if self.nps.value is None or self.nps_standard_error.value is None:
            return None
        half = 1.96 * self.nps_standard_error.value
        return max(-100.0, self.nps.value - half), min(100.0, self.nps.value + half)

    def distribution(self, kind: str) -> list[tuple[int, int]]:
        """(score, answers) for every score of the kind's scale, zeros included."""
        low, _ = SCALES[SurveyKind(kind)]
        counts = self.nps_distribution if kind == SurveyKind.NPS else self.csat_distribution
        return [(low + offset, count) for offset, count in enumerate(counts)]


@dataclass(frozen=True)
class Group:
    """One row of a breakdown: its key (an id, a tier), what a page calls it, and its figures."""

    key: Any
    label: str
    measures: Measures


@dataclass(frozen=True)
class TrendPoint:
    start: dt.date  # first day of the month or week (the period's own bounds may cut it)
    measures: Measures


@dataclass(frozen=True)
class VoiceOfCustomer:
    """The account page's card: each contact's latest NPS, the account's figures and recent comments."""

    contacts: list[Contact]
    measures: Measures
    period: Period
    comments: list[Response] = field(default_factory=list)


# Building figures from counts (pure) -------------------------------------------------------------


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}%"


def _expand(counts: dict[int, int]) -> list[int]:
    return [score for score, count in sorted(counts.items()) for _ in range(count)]


def nps_figure(counts: dict[int, int]) -> Figure:
    scores = _expand(counts)
    value = formulas.nps(scores)
    n = len(scores)
    promoters = sum(c for s, c in counts.items() if s >= formulas.PROMOTER_MIN)
    detractors = sum(c for s, c in counts.items() if s <= formulas.DETRACTOR_MAX)
    inputs = {"promoters": promoters, "passives": n - promoters - detractors, "detractors": detractors, "n": n}
    formula = "NPS = %promoters (9–10) − %detractors (0–6)"
    if value is None:
        return Figure(None, formula, inputs, "NPS = no answers")
    worked = (
        f"NPS = %promoters − %detractors = {100 * promoters / n:.0f}% − {100 * detractors / n:.0f}% "
        f"= {value:.0f} (n = {n})"
    )
    return Figure(value, formula, inputs, worked)


def nps_standard_error_figure(counts: dict[int, int]) -> Figure:
    scores = _expand(counts)
    value = formulas.nps_standard_error(scores)
    variance = formulas.nps_variance(scores)
    n = len(scores)
    formula = "SE = √(((p + d) − (p − d)²) / n) × 100, p and d the shares of promoters and detractors"
    if value is None or variance is None:
        return Figure(None, formula, {"n": 0}, "SE = no answers")
    promoters = sum(c for s, c in counts.items() if s >= formulas.PROMOTER_MIN) / n
    detractors = sum(c for s, c in counts.items() if s <= formulas.DETRACTOR_MAX) / n
    inputs = {"p": promoters, "d": detractors, "n": n, "variance": variance}
    worked = (
        f"SE = √(((p + d) − (p − d)²) / n) × 100 = √((({promoters:.2f} + {detractors:.2f}) − "
        f"({promoters:.2f} − {detractors:.2f})²) / {n}) × 100 = {value:.1f} points"
    )
    return Figure(value, formula, inputs, worked)


def csat_figure(counts: dict[int, int]) -> Figure:
    scores = _expand(counts)
    share = formulas.csat_share_satisfied(scores)
    satisfied = sum(c for s, c in counts.items() if s > formulas.CSAT_SATISFIED_ABOVE)
    inputs = {"above": satisfied, "n": len(scores), "threshold": formulas.CSAT_SATISFIED_ABOVE}
    formula = "% CSAT > 3.5 = answers scoring 4 or 5 / CSAT answers"
    if share is None:
        return Figure(None, formula, inputs, "% CSAT > 3.5 = no answers")
    value = 100 * share
    worked = f"% CSAT > 3.5 = {satisfied} / {len(scores)} = {_percent(value)}"
    return Figure(value, formula, inputs, worked)


def response_rate_figure(answered: int, sent: int) -> Figure:
    rate = formulas.response_rate(answered, sent)
    inputs = {"answered": answered, "sent": sent}
    formula = "Response rate = answers to invitations sent in the period / invitations sent in the period"
    if rate is None:
        return Figure(None, formula, inputs, "Response rate = nothing sent")
    value = 100 * rate
    return Figure(value, formula, inputs, f"Response rate = {answered} / {sent} = {_percent(value)}")


def measures_from_counts(counts: dict[tuple[str, int], int], *, sent: int = 0, answered: int = 0) -> Measures:
    """Figures from answers counted by (survey kind, score) and the invitations sent / answered."""
    nps_counts = {score: c for (kind, score), c in counts.items() if kind == SurveyKind.NPS}
    csat_counts = {score: c for (kind, score), c in counts.items() if kind == SurveyKind.CSAT}
    return Measures(
        nps=nps_figure(nps_counts),
        nps_standard_error=nps_standard_error_figure(nps_counts),
        nps_distribution=tuple(nps_counts.get(score, 0) for score in range(0, 11)),
        csat=csat_figure(csat_counts),
        csat_distribution=tuple(csat_counts.get(score, 0) for score in range(1, 6)),
        response_rate=response_rate_figure(answered, sent),
        nps_n=sum(nps_counts.values()),
        csat_n=sum(csat_counts.values()),
        invitations_sent=sent,
        invitations_answered=answered,
    )


# Queries -----------------------------------------------------------------------------------------


def _scope(queryset: QuerySet[Any], workspace: Workspace, filters: Filters) -> QuerySet[Any]:
    queryset = queryset.filter(workspace=workspace)
    if filters.survey is not None:
        queryset = queryset.filter(survey_id=filters.survey.pk)
    return queryset.filter(account_scope(filters))


def period_responses(workspace: Workspace, period: Period, filters: Filters | None = None) -> QuerySet[Response]:
    """The answers given in the period that the filters let through, newest first."""
    answers = _scope(Response.objects.all(), workspace, filters or Filters())
    return answers.filter(answered_at__gte=period.since, answered_at__lt=period.until).order_by("-answered_at", "-id")


def period_invitations(workspace: Workspace, period: Period, filters: Filters | None = None) -> QuerySet[Invitation]:
    """The invitations sent in the period that the filters let through."""
    invitations = _scope(Invitation.objects.all(), workspace, filters or Filters())
    return invitations.filter(status=InvitationStatus.SENT, sent_at__gte=period.since, sent_at__lt=period.until)


def _score_counts(answers: QuerySet[Response], *keys: Any) -> dict[tuple[Any, ...], dict[tuple[str, int], int]]:
    grouped: dict[tuple[Any, ...], dict[tuple[str, int], int]] = defaultdict(dict)
    names = [f"k{i}" for i in range(len(keys))]
    rows = (
        answers.order_by()
        .annotate(**dict(zip(names, keys, strict=True)))
        .values(*names, "survey__kind", "score")
        .annotate(answers=Count("id"))
    )
    for row in rows:
        grouped[tuple(row[name] for name in names)][(row["survey__kind"], row["score"])] = row["answers"]
    return grouped


def _invitation_counts(invitations: QuerySet[Invitation], *keys: Any) -> dict[tuple[Any, ...], tuple[int, int]]:
    if not keys:
        totals = invitations.aggregate(sent=Count("id"), answered=Count("response"))
        return {(): (totals["sent"], totals["answered"])}
    names = [f"k{i}" for i in range(len(keys))]
    rows = (
        invitations.order_by()
        .annotate(**dict(zip(names, keys, strict=True)))
        .values(*names)
        .annotate(sent=Count("id"), answered=Count("response"))
    )
    return {tuple(row[name] for name in names): (row["sent"], row["answered"]) for row in rows}


def survey_measures(workspace: Workspace, period: Period, filters: Filters | None = None) -> Measures:
    """The figures of every answer in the period that the filters let through (two queries)."""
    filters = filters or Filters()
    counts = _score_counts(period_responses(workspace, period, filters)).get((), {})
    sent, answered = _invitation_counts(period_invitations(workspace, period, filters)).get((), (0, 0))
    return measures_from_counts(counts, sent=sent, answered=answered)


def _labels(workspace: Workspace, dimension: str, keys: Iterable[Any]) -> dict[Any, str]:
    wanted = [key for key in keys if key is not None]
    if dimension == "tier":
        return {value: str(label) for value, label in Tier.choices}
    if dimension == "account":
        return dict(Account.objects.filter(workspace=workspace, pk__in=wanted).values_list("pk", "name"))
    if dimension == "survey":
        return dict(Survey.objects.filter(workspace=workspace, pk__in=wanted).values_list("pk", "name"))
    owners = Member.objects.filter(workspace=workspace, pk__in=wanted).select_related("user")
    return {member.pk: member.display_name for member in owners}


def measures_by(workspace: Workspace, period: Period, dimension: str, filters: Filters | None = None) -> list[Group]:
    """One row per account, tier, owner (CSM) or survey with answers or invitations in the period,
    biggest first; three queries whatever the number of rows (answers, invitations, labels)."""
    if dimension == "segment":
        return measures_by_segment(workspace, period, filters)
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}: one of {', '.join([*DIMENSIONS, 'segment'])}")
    filters = filters or Filters()
    key = DIMENSIONS[dimension]
    counts = _score_counts(period_responses(workspace, period, filters), F(key))
    invitations = _invitation_counts(period_invitations(workspace, period, filters), F(key))
    keys = set(counts) | set(invitations)
    labels = _labels(workspace, dimension, (k[0] for k in keys))
    groups = []
    for (value,) in keys:
        sent, answered = invitations.get((value,), (0, 0))
        measures = measures_from_counts(counts.get((value,), {}), sent=sent, answered=answered)
        label = labels.get(value, "No owner" if dimension == "owner" else str(value))
        groups.append(Group(value, label, measures))
    return sorted(groups, key=lambda g: (-g.measures.n, -g.measures.invitations_sent, g.label))


def measures_by_segment(workspace: Workspace, period: Period, filters: Filters | None = None) -> list[Group]:
    """One row per saved segment; an account in two segments counts in both.

    Two queries per segment plus one for the list: segments are evaluated anew on every use and a
    workspace keeps tens of them, not thousands.
    """
    filters = filters or Filters()
    groups = []
    for segment in Segment.objects.filter(workspace=workspace).order_by("name", "id"):
        sliced = Filters(
            survey=filters.survey, tier=filters.tier, owner=filters.owner, account=filters.account, segment=segment
        )
        groups.append(Group(segment.pk, segment.name, survey_measures(workspace, period, sliced)))
    return groups


def _bucket_starts(period: Period, grain: str) -> list[dt.date]:
    if grain == "month":
        day = period.start.replace(day=1)
        starts = []
        while day <= period.end:
            starts.append(day)
            day = (day + dt.timedelta(days=32)).replace(day=1)
        return starts
    day = period.start - dt.timedelta(days=period.start.weekday())
    starts = []
    while day <= period.end:
        starts.append(day)
        day += dt.timedelta(days=7)
    return starts


def _bucket_day(value: dt.datetime | dt.date, tz: str) -> dt.date:
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(zone(tz))
        return value.date()
    return value


def measures_trend(
    workspace: Workspace, period: Period, filters: Filters | None = None, grain: str = "month"
) -> list[TrendPoint]:
    """The figures month by month (or week by week, weeks starting on Monday) over the period, every
    bucket present even without answers; two queries. Answers fall in the bucket of their day in the
    workspace's time zone, invitations in the bucket of the day they were sent."""
    if grain not in GRAINS:
        raise ValueError(f"unknown grain {grain!r}: month or week")
    filters = filters or Filters()
    trunc = TruncMonth if grain == "month" else TruncWeek
    tzinfo = zone(period.tz)
    counts = _score_counts(period_responses(workspace, period, filters), trunc("answered_at", tzinfo=tzinfo))
    invitations = _invitation_counts(period_invitations(workspace, period, filters), trunc("sent_at", tzinfo=tzinfo))
    by_day: dict[dt.date, dict[tuple[str, int], int]] = defaultdict(dict)
    for (start,), scores in counts.items():
        by_day[_bucket_day(start, period.tz)] = scores
    sent_by_day = {_bucket_day(start, period.tz): pair for (start,), pair in invitations.items()}
    points = []
    for start in _bucket_starts(period, grain):
        sent, answered = sent_by_day.get(start, (0, 0))
        points.append(TrendPoint(start, measures_from_counts(by_day.get(start, {}), sent=sent, answered=answered)))
    return points


def grain_for(period: Period) -> str:
    """Months for long periods, weeks for a quarter or less."""
    return "week" if period.days <= 120 else "month"


def commented_responses(
    workspace: Workspace, period: Period, filters: Filters | None = None, q: str = ""
) -> QuerySet[Response]:
    """Answers with a comment in the period, newest first; `q` keeps those whose comment, contact
    or account contains it (case-insensitive)."""
    answers = period_responses(workspace, period, filters).exclude(comment="")
    q = q.strip()
    if q:
        answers = answers.filter(
            Q(comment__icontains=q)
            | Q(contact__email__icontains=q)
            | Q(contact__first_name__icontains=q)
            | Q(contact__last_name__icontains=q)
            | Q(account__name__icontains=q)
        )
    return answers.select_related("contact", "account", "survey")


def account_voice(account: Account, *, today: dt.date | None = None) -> VoiceOfCustomer:
    """The account page's survey card: four queries."""
    period = Period.last_months(account.workspace, 12, today)
    measures = survey_measures(account.workspace, period, Filters(account=account))
    contacts = list(account.contacts.filter(nps_answered_at__isnull=False).order_by("-nps_answered_at", "id"))
    comments = list(
        Response.objects.filter(account=account)
        .exclude(comment="")
        .select_related("contact", "survey")
        .order_by("-answered_at", "-id")[:RECENT_COMMENTS]
    )
    return VoiceOfCustomer(contacts=contacts, measures=measures, period=period, comments=comments)


def score_bars(pairs: Sequence[tuple[int, int]]) -> list[tuple[int, int, float]]:
    """(score, answers, share of the largest bar in %) for drawing a distribution."""
    peak = max((count for _, count in pairs), default=0)
    return [(score, count, 100 * count / peak if peak else 0.0) for score, count in pairs]
