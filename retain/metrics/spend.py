"""CAC and CRC from the spend entered per period, and a CSM's book against its quota.

- Spend of a period: each Spend row counts for the days it shares with the period, pro rata
  (a quarter's spend read over one of its months counts a third or so); rows are workspace-wide.
- New ACV: the ARR the period's new and reactivation movements added (retain.metrics.engine's
  waterfall × 12). Retained ACV: the ARR at the period's end of the accounts active at its start,
  the NRR numerator × 12.
- CAC = sales-and-marketing spend / new ACV (seed 003: $1.00 / $1.15 = $0.87 per $1) and, the seed's
  way round, new ACV per $1 spent ($1.15). CRC = customer-success spend / retained ACV ($0.12 per
  $1.00 = 12%).
- A CSM's book: the accounts held at the start of the quota's period (engine.quota_attainment), their
  ARR then and now, against the quota's target ARR (or start ARR × target NRR, 120% by default).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from retain.accounts.figures import Figure, Filters, Period
from retain.lib import formulas
from retain.metrics import engine
from retain.metrics.choices import SpendCategory
from retain.metrics.models import DEFAULT_TARGET_NRR, Quota
from retain.metrics.selectors import ZERO, quota_for, spend_in_period
from retain.tenancy.models import Member, Workspace

MONTHS_PER_YEAR = 12


def _money(amount: Decimal, currency: str) -> str:
    return engine._money(amount, currency)


def _dollars(value: float | None, currency: str) -> str:
    return "—" if value is None else _money(Decimal(str(round(value, 2))), currency)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


@dataclass(frozen=True)
class SpendFigures:
    currency: str
    cac: Figure
    acv_per_dollar: Figure
    crc: Figure

    def figures(self) -> list[tuple[str, str, Figure]]:
        return [
            ("cac", "CAC per $1 of new ACV", self.cac),
            ("acv_per_dollar", "New ACV per $1 spent", self.acv_per_dollar),
            ("crc", "CRC (retention cost)", self.crc),
        ]

    def display(self, key: str) -> str:
        figure = dict((k, f) for k, _, f in self.figures())[key]
        return _pct(figure.value) if key == "crc" else _dollars(figure.value, self.currency)


def spend_figures(
    workspace: Workspace,
    period: Period,
    filters: Filters | None = None,
    metrics: engine.RevenueMetrics | None = None,
) -> SpendFigures:
    """CAC both ways and CRC for the period; pass the period's `metrics` to reuse the engine's ledger reads."""
    metrics = metrics or engine.revenue_metrics(workspace, period, filters)
    currency = workspace.currency
    spent = spend_in_period(workspace, period)
    sales, success = spent[SpendCategory.SALES_MARKETING], spent[SpendCategory.CUSTOMER_SUCCESS]
    new_acv = (metrics.waterfall.new + metrics.waterfall.reactivation) * MONTHS_PER_YEAR
    retained_acv = Decimal(metrics.nrr.inputs["mrr_end_of_start_accounts"]) * MONTHS_PER_YEAR
    cac = formulas.cac(sales, new_acv)
    per_dollar = formulas.acv_per_dollar(sales, new_acv)
    crc = formulas.crc(success, retained_acv)
    s, n, c, r = (_money(x, currency) for x in (sales, new_acv, success, retained_acv))
    days = f"{period.start.isoformat()} to {period.end.isoformat()}"
    filtered = filters is not None and filters != Filters()
    scope = " (spend is the whole workspace's; the ACV only the filtered accounts')" if filtered else ""
    return SpendFigures(
        currency=currency,
        cac=Figure(
            cac,
            "CAC = sales-and-marketing spend / new ACV (ARR of new and reactivated subscriptions in the period)",
            {"sales_marketing_spend": sales, "new_acv": new_acv, "period": days},
            f"CAC = {s} / {n} = {_dollars(cac, currency)} per $1 of new ACV{scope}",
        ),
        acv_per_dollar=Figure(
            per_dollar,
            "New ACV per $1 spent = new ACV / sales-and-marketing spend",
            {"new_acv": new_acv, "sales_marketing_spend": sales, "period": days},
            f"New ACV per $1 = {n} / {s} = {_dollars(per_dollar, currency)}{scope}",
        ),
        crc=Figure(
            crc,
            "CRC = customer-success spend / retained ACV (ARR at end of the accounts active at start)",
            {"customer_success_spend": success, "retained_acv": retained_acv, "period": days},
            f"CRC = {c} / {r} = {_pct(crc)} ({_dollars(crc, currency)} per $1 retained){scope}",
        ),
    )


# A CSM's book against its quota ------------------------------------------------------------------


@dataclass(frozen=True)
class BookStanding:
    member: Member
    period: Period
    quota: Quota | None
    accounts: int
    arr_start: Decimal
    arr_now: Decimal
    target_arr: Decimal
    target_nrr: Decimal
    attainment: Figure

    @property
    def net_retention(self) -> float | None:
        return None if self.arr_start == 0 else float(self.arr_now / self.arr_start)

    @property
    def gap(self) -> Decimal:
        """ARR still to win to reach the target (negative once beyond it)."""
        return self.target_arr - self.arr_now


def book_standing(workspace: Workspace, member: Member, today: dt.date) -> BookStanding:
    """The book the member held at the start of its quota period (this calendar year without a quota),
    its ARR then and today, the target and the engine's quota attainment."""
    quota = quota_for(member, today)
    if quota is not None:
        start, end = quota.period_start, min(quota.period_end, today)
        target_days = (quota.period_end - quota.period_start).days + 1
    else:
        start, end = dt.date(today.year, 1, 1), today
        target_days = engine.TARGET_DAYS
    period = Period(start, max(start, end), workspace.time_zone)
    target_nrr = quota.target_nrr if quota is not None else DEFAULT_TARGET_NRR
    # Attainment so far is against the target's share for the days gone (the engine's rule, as on the
    # revenue page); the target ARR below is where the book should stand when the quota period ends.
    rows = engine.quota_attainment(workspace, period, Filters(owner=member), target=target_nrr, target_days=target_days)
    row = rows[0] if rows else None
    arr_start = row.arr_start if row else ZERO
    arr_now = row.arr_end if row else ZERO
    if quota is not None and quota.target_arr is not None and arr_start > 0:
        target_arr = quota.target_arr
        target_nrr = target_arr / arr_start
        rows = engine.quota_attainment(
            workspace, period, Filters(owner=member), target=target_nrr, target_days=target_days
        )
        row = rows[0] if rows else row
    elif quota is not None and quota.target_arr is not None:
        target_arr = quota.target_arr
    else:
        target_arr = (arr_start * target_nrr).quantize(Decimal("0.01"))
    attainment = (
        row.attainment
        if row
        else Figure(
            None,
            "Quota attainment = (book ARR at end / book ARR at start) / target; the book is the accounts held "
            "at the period's start",
            {"arr_start": ZERO, "arr_end": ZERO, "target": target_nrr, "accounts": 0},
            "No paying accounts in the book when the period began",
        )
    )
    return BookStanding(
        member=member,
        period=period,
        quota=quota,
        accounts=row.accounts if row else 0,
        arr_start=arr_start,
        arr_now=arr_now,
        target_arr=target_arr,
        target_nrr=target_nrr,
        attainment=attainment,
    )
