"""The revenue metrics of a workspace, read from the subscription ledger (SubscriptionMovement).

For a period (calendar days `start` to `end`, both included) and filters (tier, saved segment, the
account's owner today):

- MRR at start is the MRR in force when the period begins (at the close of the day before `start`),
  MRR at end the MRR in force at the close of `end`, as the subscription ledger (`accounts.ledger`)
  defines "in force": a subscription counts at the `mrr_after` of its latest movement on or before
  the day, converted at that day's rate.
- The movements of the period are summed by kind (new, expansion, contraction, churn, reactivation),
  each converted at the rate of its own day. The ARR waterfall is start → +new +expansion
  +reactivation −contraction −churn → end; whatever the kinds do not explain (a currency's rate moving
  between the movement's day and the end, or a change movement that moved MRR) is its own line, so the
  waterfall always adds up.
- Retention follows "Fighting Churn with Data": NRR = MRR at end of the accounts active at start /
  their MRR at start (expansion counts, new accounts do not); GRR the same with each account capped
  at its starting MRR (expansion does not count); logo churn = accounts paying at start that churned
  in the period / accounts paying at start, with the ledger's one definition of churn (an account
  churns on the day it stops paying; a win-back inside the period is still a loss); revenue churn =
  (MRR at start of the accounts paying nothing at the end + downsell) / MRR at start, which is 1 − GRR
  (it counts money, so a win-back's returned MRR offsets its loss).
- Eligible churn (seed 003) = revenue lost in the period / revenue due for renewal in the period.
  Due: the ARR at period start of the subscriptions whose term ended in the period (a term end is
  the subscription's current `term_end`, or one recorded by a "renewal window opened" entry, which is
  written once per term). Lost: of those subscriptions, the ARR they lost by the period's end (churn
  or contraction, never offset by another's expansion).
- CSM quota attainment (seed 003): the ARR at period end of the accounts a CSM held at the start,
  over their ARR at start, against a target (120% by default). Ownership at the start is today's
  owner unless "owner changed" timeline entries dated after the start say otherwise: the earliest
  such entry's `from` member held the account then.
- % of accounts green: health scores on the period's last day; NPS and % of CSAT answers above 3.5:
  the answers of the period (retain.surveys.measures).

Queries are set-based: MRR on any number of days is one query (one subquery per day), the movements
one GROUP BY query, the churn days one read of the ledger, so the count never depends on the number
of accounts or movements.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db.models import Q, QuerySet, Sum

from retain.accounts import ledger
from retain.accounts.choices import EntryKind, MovementKind
from retain.accounts.figures import Figure, Filters, Period, account_scope
from retain.accounts.models import Account, Subscription, SubscriptionMovement, TimelineEntry
from retain.accounts.selectors import rate_table
from retain.health.portfolio import GreenShare, green_share
from retain.lib import formulas
from retain.lib.money import RateTable, format_money, quantize
from retain.surveys.measures import survey_measures
from retain.tenancy.models import Member, Workspace

ZERO = Decimal(0)
MONTHS_PER_YEAR = 12
DEFAULT_QUOTA_TARGET = Decimal(str(formulas.QUOTA_TARGET))  # seed 003: a $1M book should end the year at $1.2M
TARGET_DAYS = 365  # a net-retention target is for a year unless a quota says otherwise
REVENUE_KINDS = (
    MovementKind.NEW,
    MovementKind.EXPANSION,
    MovementKind.REACTIVATION,
    MovementKind.CONTRACTION,
    MovementKind.CHURN,
)


# Arithmetic: retain.lib.formulas (pure); this module only gathers the inputs ------------------


def _ratio(numerator: Decimal, denominator: Decimal) -> float | None:
    return None if denominator == 0 else float(numerator / denominator)


def _pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{100 * value:.{digits}f}%"


# Values ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Waterfall:
    """MRR movements of the period in the workspace currency; `other` is what the kinds do not explain."""

    start: Decimal
    new: Decimal
    expansion: Decimal
    reactivation: Decimal
    contraction: Decimal  # positive: the MRR lost
    churn: Decimal  # positive: the MRR lost
    other: Decimal
    end: Decimal

    @property
    def net_change(self) -> Decimal:
        return self.new + self.expansion + self.reactivation - self.contraction - self.churn + self.other

    def steps(self) -> list[tuple[str, str, Decimal]]:
        """(key, label, signed ARR) from the starting ARR to the ending ARR; the signed middle steps
        sum to end − start."""
        arr = MONTHS_PER_YEAR
        return [
            ("start", "ARR at start", self.start * arr),
            ("new", "New", self.new * arr),
            ("expansion", "Expansion", self.expansion * arr),
            ("reactivation", "Reactivation", self.reactivation * arr),
            ("contraction", "Contraction", -self.contraction * arr),
            ("churn", "Churn", -self.churn * arr),
            ("other", "Currency and other changes", self.other * arr),
            ("end", "ARR at end", self.end * arr),
        ]


@dataclass(frozen=True)
class QuotaRow:
    """One CSM's book: the accounts held at the period's start, their ARR then and at the end."""

    member: Member | None
    accounts: int
    arr_start: Decimal
    arr_end: Decimal
    target: Decimal  # the target's share for the period
    attainment: Figure
    full_target: Decimal  # the target as set, for its whole term (a year by default)

    @property
    def label(self) -> str:
        return self.member.display_name if self.member else "No owner"

    @property
    def net_retention(self) -> float | None:
        return _ratio(self.arr_end, self.arr_start)

    @property
    def target_pct(self) -> Decimal:
        return self.target * 100


@dataclass(frozen=True)
class RevenueMetrics:
    period: Period
    currency: str
    waterfall: Waterfall
    arr_start: Figure
    arr_end: Figure
    nrr: Figure
    grr: Figure
    logo_churn: Figure
    revenue_churn: Figure
    eligible_churn: Figure
    green_share: Figure
    nps: Figure
    csat: Figure
    accounts_at_start: int
    accounts_at_end: int

    def figures(self) -> list[tuple[str, str, Figure]]:
        """(key, label, figure) in the order a page shows them."""
        return [
            ("arr_start", "ARR at start", self.arr_start),
            ("arr_end", "ARR at end", self.arr_end),
            ("nrr", "Net revenue retention", self.nrr),
            ("grr", "Gross revenue retention", self.grr),
            ("logo_churn", "Logo churn", self.logo_churn),
            ("revenue_churn", "Revenue churn", self.revenue_churn),
            ("eligible_churn", "Eligible churn", self.eligible_churn),
            ("green_share", "Accounts green", self.green_share),
            ("nps", "NPS", self.nps),
            ("csat", "CSAT answers > 3.5", self.csat),
        ]


@dataclass(frozen=True)
class TrendPoint:
    """One month of the retention trend."""

    start: dt.date
    end: dt.date
    nrr: Figure
    grr: Figure
    logo_churn: Figure


# Queries -----------------------------------------------------------------------------------------


def scoped_accounts(workspace: Workspace, filters: Filters | None = None) -> QuerySet[Account]:
    """The workspace's accounts that the filters let through (tier, segment, owner today)."""
    return Account.objects.filter(workspace=workspace).filter(account_scope(filters, ""))


def _in_scope(workspace: Workspace, filters: Filters | None) -> Q:
    """The condition on a row's `account` for the filters, as joins (a subquery only for a segment)."""
    return account_scope(filters)


@dataclass(frozen=True)
class Snapshot:
    """MRR in force at the close of each day, per subscription, in the workspace currency."""

    by_subscription: dict[dt.date, dict[int, Decimal]]
    account_of: dict[int, int]

    def by_account(self, day: dt.date) -> dict[int, Decimal]:
        totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for subscription_id, mrr in self.by_subscription[day].items():
            totals[self.account_of[subscription_id]] += mrr
        return dict(totals)


def mrr_snapshot(
    workspace: Workspace, days: Iterable[dt.date], filters: Filters | None = None, table: RateTable | None = None
) -> Snapshot:
    """Each subscription's MRR at the close of each day: one query, one subquery per day."""
    days = sorted(set(days))
    table = table or rate_table(workspace)
    names = {f"mrr_{i}": day for i, day in enumerate(days)}
    annotations = {name: ledger.subscription_mrr_on(day) for name, day in names.items()}
    rows = (
        Subscription.objects.filter(_in_scope(workspace, filters), workspace=workspace)
        .order_by()
        .annotate(**annotations)
        .values("pk", "account_id", "currency", *names)
    )
    by_subscription: dict[dt.date, dict[int, Decimal]] = {day: {} for day in days}
    account_of: dict[int, int] = {}
    for row in rows:
        account_of[row["pk"]] = row["account_id"]
        for name, day in names.items():
            if row[name] is not None:
                by_subscription[day][row["pk"]] = table.convert(Decimal(row[name]), row["currency"], day)
    return Snapshot(by_subscription, account_of)


def movement_totals(
    workspace: Workspace, period: Period, filters: Filters | None = None, table: RateTable | None = None
) -> dict[str, Decimal]:
    """Σ MRR change of the period's movements by kind, each converted at its own day's rate."""
    table = table or rate_table(workspace)
    rows = (
        SubscriptionMovement.objects.filter(
            _in_scope(workspace, filters),
            workspace=workspace,
            effective_on__gte=period.start,
            effective_on__lte=period.end,
        )
        .order_by()
        .values("kind", "currency", "effective_on")
        .annotate(before=Sum("mrr_before"), after=Sum("mrr_after"))
    )
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for row in rows:
        delta = Decimal(row["after"]) - Decimal(row["before"])
        totals[row["kind"]] += table.convert(delta, row["currency"], row["effective_on"])
    return dict(totals)


def _eve(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=1)


def _money(amount: Decimal, currency: str) -> str:
    return format_money(quantize(amount), currency)


def _retention_figures(
    start: dict[int, Decimal], end: dict[int, Decimal], currency: str, books: ledger.Ledger, period: Period
) -> tuple[Figure, Figure, Figure, Figure, int]:
    """NRR, GRR, logo churn and revenue churn of the accounts active at start (MRR from the snapshot,
    churn days from the ledger `books`)."""
    cohort = {account: mrr for account, mrr in start.items() if mrr > 0}
    start_total = sum(cohort.values(), ZERO)
    end_total = sum((end.get(account, ZERO) for account in cohort), ZERO)
    capped = sum((min(end.get(account, ZERO), mrr) for account, mrr in cohort.items()), ZERO)
    gone = [account for account in cohort if end.get(account, ZERO) <= 0]
    churned_mrr = sum((cohort[account] for account in gone), ZERO)
    downsell = start_total - capped - churned_mrr
    expansion = end_total - capped
    nrr = formulas.net_revenue_retention(start_total, expansion, downsell, churned_mrr)
    grr = formulas.gross_revenue_retention(start_total, downsell, churned_mrr)
    churned = books.logo_churn(period.start, period.end, among=cohort)[1]
    logo = formulas.logo_churn_rate(len(cohort), len(churned))
    revenue_churn = formulas.mrr_churn_rate(start_total, churned_mrr, downsell)
    s, e, c = _money(start_total, currency), _money(end_total, currency), _money(capped, currency)
    nrr_figure = Figure(
        nrr,
        "NRR = MRR at end of the accounts active at start / their MRR at start",
        {"mrr_end_of_start_accounts": end_total, "mrr_start": start_total, "accounts": len(cohort)},
        f"NRR = {e} / {s} = {_pct(nrr)} ({len(cohort)} accounts)",
    )
    grr_figure = Figure(
        grr,
        "GRR = Σ min(MRR at end, MRR at start) of the accounts active at start / their MRR at start",
        {"mrr_end_capped": capped, "mrr_start": start_total, "accounts": len(cohort)},
        f"GRR = {c} / {s} = {_pct(grr)} ({len(cohort)} accounts)",
    )
    logo_figure = Figure(
        logo,
        "Logo churn = accounts paying at start that churned (stopped paying) in the period / accounts paying at start",
        {"churned": len(churned), "active_at_start": len(cohort)},
        f"Logo churn = {len(churned)} / {len(cohort)} = {_pct(logo)}",
    )
    revenue_figure = Figure(
        revenue_churn,
        "Revenue churn = (MRR at start of the accounts paying nothing at the end + downsell) / MRR at start",
        {"churned_mrr": churned_mrr, "downsell": downsell, "mrr_start": start_total},
        f"Revenue churn = ({_money(churned_mrr, currency)} + {_money(downsell, currency)}) / {s} "
        f"= {_pct(revenue_churn)}",
    )
    return nrr_figure, grr_figure, logo_figure, revenue_figure, len(cohort)


def _term_ends(workspace: Workspace, period: Period, filters: Filters) -> set[int]:
    """Subscriptions with a term ending in the period: the current term end, or one a renewal window
    entry recorded for an earlier term (two queries)."""
    scope = _in_scope(workspace, filters)
    due = set(
        Subscription.objects.filter(
            scope, workspace=workspace, term_end__gte=period.start, term_end__lte=period.end
        ).values_list("pk", flat=True)
    )
    entries = TimelineEntry.objects.filter(
        scope,
        workspace=workspace,
        kind=EntryKind.RENEWAL_WINDOW_OPENED,
        subscription__isnull=False,
    ).values_list("subscription_id", "data")
    start, end = period.start.isoformat(), period.end.isoformat()
    for subscription_id, data in entries:
        term_end = (data or {}).get("term_end", "")
        if start <= term_end <= end:
            due.add(subscription_id)
    return due


def _eligible_churn_figure(snapshot: Snapshot, due: set[int], period: Period, currency: str) -> Figure:
    start = snapshot.by_subscription[_eve(period.start)]
    end = snapshot.by_subscription[period.end]
    due_mrr = sum((start.get(s, ZERO) for s in due), ZERO)
    lost_mrr = sum((max(start.get(s, ZERO) - end.get(s, ZERO), ZERO) for s in due), ZERO)
    revenue_due, revenue_lost = due_mrr * MONTHS_PER_YEAR, lost_mrr * MONTHS_PER_YEAR
    value = formulas.eligible_churn(revenue_lost, revenue_due)
    subscriptions = sum(1 for s in due if start.get(s, ZERO) > 0)
    return Figure(
        value,
        "Eligible churn = revenue lost in the period / revenue due for renewal in the period",
        {"revenue_lost": revenue_lost, "revenue_due": revenue_due, "subscriptions_due": subscriptions},
        f"Eligible churn = {_money(revenue_lost, currency)} / {_money(revenue_due, currency)} = {_pct(value)} "
        f"({subscriptions} subscriptions due)",
    )


def _green_share_figure(workspace: Workspace, day: dt.date, filters: Filters) -> Figure:
    """% green on the period's last day, counted as the health page counts it (health.portfolio)."""
    accounts = Account.objects.filter(account_scope(filters, path=""), workspace=workspace)
    share = green_share(accounts, day)
    value = _ratio(Decimal(share.green), Decimal(share.scored))
    return Figure(
        value,
        f"{GreenShare.FORMULA}; the day is the period's last day",
        {"green": share.green, "scored": share.scored, "day": day.isoformat()},
        f"% green = {share.green} / {share.scored} = {_pct(value, 0)} on {day.isoformat()}",
    )


def _scaled(figure: Figure) -> Figure:
    """A survey figure in percent points (0–100) turned into a share (0–1) like the other figures."""
    value = None if figure.value is None else figure.value / 100
    return Figure(value, figure.formula, figure.inputs, figure.worked)


def revenue_metrics(workspace: Workspace, period: Period, filters: Filters | None = None) -> RevenueMetrics:
    """Every revenue figure of the period; a fixed number of queries."""
    filters = filters or Filters()
    currency = workspace.currency
    table = rate_table(workspace)
    before, last = _eve(period.start), period.end
    snapshot = mrr_snapshot(workspace, [before, last], filters, table)
    start_accounts, end_accounts = snapshot.by_account(before), snapshot.by_account(last)
    mrr_start = sum(snapshot.by_subscription[before].values(), ZERO)
    mrr_end = sum(snapshot.by_subscription[last].values(), ZERO)
    totals = movement_totals(workspace, period, filters, table)
    explained = sum((totals.get(kind, ZERO) for kind in REVENUE_KINDS), ZERO)
    waterfall = Waterfall(
        start=mrr_start,
        new=totals.get(MovementKind.NEW, ZERO),
        expansion=totals.get(MovementKind.EXPANSION, ZERO),
        reactivation=totals.get(MovementKind.REACTIVATION, ZERO),
        contraction=-totals.get(MovementKind.CONTRACTION, ZERO),
        churn=-totals.get(MovementKind.CHURN, ZERO),
        other=mrr_end - mrr_start - explained,
        end=mrr_end,
    )
    books = ledger.load(workspace, scoped_accounts(workspace, filters))
    nrr, grr, logo, revenue_churn, active_start = _retention_figures(
        start_accounts, end_accounts, currency, books, period
    )
    arr_start, arr_end = mrr_start * MONTHS_PER_YEAR, mrr_end * MONTHS_PER_YEAR
    survey = survey_measures(workspace, period, filters)
    return RevenueMetrics(
        period=period,
        currency=currency,
        waterfall=waterfall,
        arr_start=Figure(
            float(arr_start),
            "ARR at start = 12 × MRR in force when the period begins",
            {"mrr": mrr_start, "day": before.isoformat()},
            f"ARR = 12 × {_money(mrr_start, currency)} = {_money(arr_start, currency)}",
        ),
        arr_end=Figure(
            float(arr_end),
            "ARR at end = 12 × MRR in force at the close of the period's last day",
            {"mrr": mrr_end, "day": last.isoformat()},
            f"ARR = 12 × {_money(mrr_end, currency)} = {_money(arr_end, currency)}",
        ),
        nrr=nrr,
        grr=grr,
        logo_churn=logo,
        revenue_churn=revenue_churn,
        eligible_churn=_eligible_churn_figure(snapshot, _term_ends(workspace, period, filters), period, currency),
        green_share=_green_share_figure(workspace, last, filters),
        nps=survey.nps,
        csat=_scaled(survey.csat),
        accounts_at_start=active_start,
        accounts_at_end=sum(1 for mrr in end_accounts.values() if mrr > 0),
    )


def month_periods(end: dt.date, months: int = 12, tz: str = "UTC") -> list[Period]:
    """The `months` calendar months up to and including the one `end` falls in (the last cut at `end`)."""
    periods = []
    for back in range(months - 1, -1, -1):
        first = end.replace(day=1) - relativedelta(months=back)
        last = first + relativedelta(months=1, days=-1)
        periods.append(Period(first, min(last, end), tz))
    return periods


def retention_trend(
    workspace: Workspace, end: dt.date, filters: Filters | None = None, months: int = 12
) -> list[TrendPoint]:
    """NRR, GRR and logo churn of each month: one query for all the months' MRR."""
    periods = month_periods(end, months, workspace.time_zone)
    days = [_eve(p.start) for p in periods] + [p.end for p in periods]
    snapshot = mrr_snapshot(workspace, days, filters)
    books = ledger.load(workspace, scoped_accounts(workspace, filters))
    points = []
    for period in periods:
        nrr, grr, logo, _, _ = _retention_figures(
            snapshot.by_account(_eve(period.start)), snapshot.by_account(period.end), workspace.currency, books, period
        )
        points.append(TrendPoint(period.start, period.end, nrr, grr, logo))
    return points


# Ownership at a past day and quota attainment ----------------------------------------------------


def owners_on(workspace: Workspace, day: dt.date, accounts: QuerySet[Account]) -> dict[int, int | None]:
    """Each account's owner (member id) at the start of `day`: today's owner, unless an "owner changed"
    entry dated on or after `day` says who held it before (the earliest such entry's `from`)."""
    owners: dict[int, int | None] = dict(accounts.values_list("pk", "owner_id"))
    since = Period(day, day, workspace.time_zone).since
    changes = (
        TimelineEntry.objects.filter(
            workspace=workspace, account__in=accounts.values("pk"), kind=EntryKind.OWNER_CHANGED, occurred_at__gte=since
        )
        .order_by("account_id", "occurred_at", "id")
        .values_list("account_id", "data")
    )
    seen: set[int] = set()
    for account_id, data in changes:
        if account_id in seen:
            continue
        seen.add(account_id)
        owners[account_id] = (data or {}).get("from")
    return owners


def quota_attainment(
    workspace: Workspace,
    period: Period,
    filters: Filters | None = None,
    *,
    target: Decimal = DEFAULT_QUOTA_TARGET,
    target_days: int = TARGET_DAYS,
) -> list[QuotaRow]:
    """Per CSM who held accounts at the start: the book's ARR at end / at start, against the target's
    share for the period (`target` is set for `target_days`: a year by default), so that a quarter to
    date is compared with a quarter's growth, not a year's.

    The owner filter selects the CSM's book at the start, not today's owner."""
    filters = filters or Filters()
    book_filters = Filters(tier=filters.tier, segment=filters.segment, account=filters.account)
    accounts = scoped_accounts(workspace, book_filters)
    owners = owners_on(workspace, period.start, accounts)
    before = _eve(period.start)
    snapshot = mrr_snapshot(workspace, [before, period.end], book_filters)
    start, end = snapshot.by_account(before), snapshot.by_account(period.end)
    books: dict[int | None, list[int]] = defaultdict(list)
    for account_id, owner_id in owners.items():
        if start.get(account_id, ZERO) > 0:
            books[owner_id].append(account_id)
    if filters.owner is not None:
        books = {k: v for k, v in books.items() if k == filters.owner.pk}
    members = Member.objects.filter(workspace=workspace, pk__in=[k for k in books if k is not None]).select_related(
        "user"
    )
    by_id = {m.pk: m for m in members}
    rows = []
    currency = workspace.currency
    days = (period.end - period.start).days + 1
    share = Decimal(str(round(formulas.prorated_target(target, days, target_days), 6)))
    spread = (
        "" if days == target_days
        else f"; the target's share for these {days} days = 100% + ({_pct(float(target), 0)} − 100%) × "
        f"{days}/{target_days} = {_pct(float(share))}"
    )  # fmt: skip
    for owner_id, account_ids in books.items():
        arr_start = sum((start.get(a, ZERO) for a in account_ids), ZERO) * MONTHS_PER_YEAR
        arr_end = sum((end.get(a, ZERO) for a in account_ids), ZERO) * MONTHS_PER_YEAR
        value = formulas.quota_attainment(arr_start, arr_end, share)
        retention = _ratio(arr_end, arr_start)
        figure = Figure(
            value,
            "Quota attainment = (book ARR at end / book ARR at start) / the target's share for the period; the "
            "book is the accounts held at the period's start; the share = 1 + (target − 1) × the period's days / "
            "the days the target is set for",
            {
                "arr_start": arr_start, "arr_end": arr_end, "target": target, "target_days": target_days,
                "days": days, "share": share, "accounts": len(account_ids),
            },
            f"Attainment = ({_money(arr_end, currency)} / {_money(arr_start, currency)}) / {_pct(float(share))} "
            f"= {_pct(retention)} / {_pct(float(share))} = {_pct(value)}{spread}",
        )  # fmt: skip
        member = by_id.get(owner_id) if owner_id is not None else None
        rows.append(QuotaRow(member, len(account_ids), arr_start, arr_end, share, figure, target))
    rows.sort(key=lambda row: (row.member is None, row.label.lower()))
    return rows
