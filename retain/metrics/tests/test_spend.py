"""Spend per period, CAC both ways and CRC, and a CSM's book against its quota, on hand-made ledgers.

The seed's examples (seed 003), Q1 2026 = 2026-01-01 … 2026-03-31, workspace currency USD:
- Keeper, Carol's account at 1,000 MRR since 2025 (12,000 ARR), is still at 1,000 at the end:
  retained ACV = 12,000; customer-success spend 1,440 → CRC = 1,440 / 12,000 = 12% ($0.12 per $1.00).
- Newco starts at 1,150 MRR on 2026-02-01: new ACV = 13,800; sales-and-marketing spend 12,000 →
  CAC = 12,000 / 13,800 = $0.87 per $1 of new ACV, i.e. $1.15 of new ACV per $1.00 spent.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from retain.accounts.figures import Filters, Period
from retain.accounts.models import Account
from retain.metrics import selectors, services, spend
from retain.metrics.choices import SpendCategory
from retain.metrics.tests.test_engine import _account, _change, _subscription
from retain.tenancy.models import Member, Workspace

pytestmark = pytest.mark.django_db

D = dt.date
Q1 = Period(D(2026, 1, 1), D(2026, 3, 31))
SM, CS = SpendCategory.SALES_MARKETING, SpendCategory.CUSTOMER_SUCCESS


@pytest.fixture
def ledger(workspace: Workspace, carol: Member, dave: Member) -> dict[str, Account]:
    keeper = _account(workspace, "Keeper", "enterprise", carol)
    newco = _account(workspace, "Newco", "enterprise", dave)
    _subscription(keeper, "1000", D(2025, 1, 1), D(2027, 1, 1))
    _subscription(newco, "1150", D(2026, 2, 1), D(2027, 2, 1))
    return {"keeper": keeper, "newco": newco}


def _spend(workspace: Workspace, category: str, amount: str, start: dt.date = Q1.start, end: dt.date = Q1.end) -> None:
    services.spend_set(
        workspace=workspace, actor=None, category=category, period_start=start, period_end=end, amount=amount
    )


def test_the_seeds_cac_and_crc_come_out_of_spend_and_movements(
    workspace: Workspace, ledger: dict[str, Account]
) -> None:
    _spend(workspace, SM, "12000")
    _spend(workspace, CS, "1440")
    figures = spend.spend_figures(workspace, Q1)
    assert figures.acv_per_dollar.value == pytest.approx(1.15)
    assert figures.cac.value == pytest.approx(12000 / 13800)
    assert figures.crc.value == pytest.approx(0.12)
    assert figures.cac.worked == "CAC = $12,000 / $13,800 = $0.87 per $1 of new ACV"
    assert figures.acv_per_dollar.worked == "New ACV per $1 = $13,800 / $12,000 = $1.15"
    assert figures.crc.worked == "CRC = $1,440 / $12,000 = 12.0% ($0.12 per $1 retained)"
    assert figures.crc.inputs["retained_acv"] == Decimal("12000.00")
    assert figures.display("acv_per_dollar") == "$1.15" and figures.display("crc") == "12.0%"


def test_monthly_spend_adds_up_over_a_quarter(workspace: Workspace, ledger: dict[str, Account]) -> None:
    _spend(workspace, SM, "4000", D(2026, 1, 1), D(2026, 1, 31))
    _spend(workspace, SM, "4000", D(2026, 2, 1), D(2026, 2, 28))
    _spend(workspace, SM, "4000", D(2026, 3, 1), D(2026, 3, 31))
    assert selectors.spend_in_period(workspace, Q1)[SM] == Decimal("12000.00")
    assert spend.spend_figures(workspace, Q1).acv_per_dollar.value == pytest.approx(1.15)


def test_a_quarters_spend_counts_pro_rata_over_a_month(workspace: Workspace) -> None:
    _spend(workspace, CS, "9000")
    february = Period(D(2026, 2, 1), D(2026, 2, 28))
    assert selectors.spend_in_period(workspace, february)[CS] == Decimal("2800.00")  # 9,000 × 28 / 90


def test_reactivation_counts_as_new_acv(workspace: Workspace, carol: Member) -> None:
    elm = _account(workspace, "Elm", "enterprise", carol)
    subscription = _subscription(elm, "500", D(2025, 1, 1), D(2027, 1, 1))
    _change(subscription, D(2025, 10, 1), "0")
    _change(subscription, D(2026, 3, 1), "500")
    _spend(workspace, SM, "3000")
    figures = spend.spend_figures(workspace, Q1)
    assert figures.cac.inputs["new_acv"] == Decimal("6000.00")
    assert figures.cac.value == pytest.approx(0.5)


def test_without_spend_or_new_acv_the_figures_are_undefined(workspace: Workspace) -> None:
    figures = spend.spend_figures(workspace, Q1)
    assert figures.cac.value is None and figures.acv_per_dollar.value is None and figures.crc.value is None
    assert figures.display("cac") == "—"


def test_setting_spend_twice_replaces_it(workspace: Workspace) -> None:
    _spend(workspace, SM, "100")
    _spend(workspace, SM, "250.50")
    assert selectors.spend_in_period(workspace, Q1)[SM] == Decimal("250.50")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"category": "travel"}, "category"),
        ({"amount": "-1"}, "amount"),
        ({"amount": "lots"}, "amount"),
        ({"amount": "1.234"}, "amount"),
        ({"period_end": D(2025, 12, 1)}, "period_end"),
        ({"period_end": D(2026, 12, 31)}, "period_end"),
        ({"period_start": "soon"}, "period_start"),
        ({"note": "x" * 201}, "note"),
    ],
)
def test_spend_validation_names_the_field(workspace: Workspace, changes: dict[str, object], field: str) -> None:
    arguments: dict[str, object] = {"category": SM, "period_start": Q1.start, "period_end": Q1.end, "amount": "10"}
    arguments.update(changes)
    with pytest.raises(ValidationError) as error:
        services.spend_set(workspace=workspace, actor=None, **arguments)  # type: ignore[arg-type]  # the keyword arguments are a dict of mixed value types
    assert field in error.value.message_dict


def test_spend_periods_of_a_category_do_not_overlap(workspace: Workspace) -> None:
    _spend(workspace, SM, "100")
    with pytest.raises(ValidationError) as error:
        _spend(workspace, SM, "100", D(2026, 2, 1), D(2026, 2, 28))
    assert "period_start" in error.value.message_dict
    _spend(workspace, CS, "100", D(2026, 2, 1), D(2026, 2, 28))  # another category is fine


def test_only_managers_set_spend(workspace: Workspace, carol: Member, mark: Member, olga: Member) -> None:
    for actor in (carol, olga):
        with pytest.raises(ValidationError) as error:
            services.spend_set(
                workspace=workspace, actor=actor, category=SM, period_start=Q1.start, period_end=Q1.end, amount=1
            )
        assert "actor" in error.value.message_dict
    services.spend_set(workspace=workspace, actor=mark, category=SM, period_start=Q1.start, period_end=Q1.end, amount=1)


def test_quota_validation_names_the_field(workspace: Workspace, carol: Member, vic: Member, olga: Member) -> None:
    cases: list[tuple[dict[str, object], str]] = [
        ({"member": vic}, "member"),
        ({"member": olga}, "member"),
        ({"target_nrr": "0"}, "target_nrr"),
        ({"target_nrr": "120"}, "target_nrr"),
        ({"target_arr": "-5"}, "target_arr"),
        ({"period_end": D(2025, 1, 1)}, "period_end"),
    ]
    for changes, field in cases:
        arguments: dict[str, object] = {"member": carol, "period_start": D(2026, 1, 1), "period_end": D(2026, 12, 31)}
        arguments.update(changes)
        with pytest.raises(ValidationError) as error:
            services.quota_set(workspace=workspace, actor=None, **arguments)  # type: ignore[arg-type]  # the keyword arguments are a dict of mixed value types
        assert field in error.value.message_dict, changes


def test_a_quota_defaults_to_120_percent(workspace: Workspace, carol: Member) -> None:
    quota = services.quota_set(
        workspace=workspace, actor=None, member=carol, period_start=D(2026, 1, 1), period_end=D(2026, 12, 31)
    )
    assert quota.target_nrr == Decimal("1.2000") and quota.target_arr is None


def test_the_book_standing_follows_the_seeds_quota(workspace: Workspace, carol: Member) -> None:
    """Seed 003: a book worth $1M ARR should end the year at $1.2M. At $1.1M on 30 June it is on track:
    181 days ask for 100% + 20% × 181/365 = 109.9%, and 110% / 109.9% is 100.1%."""
    big = _account(workspace, "Big", "strategic", carol)
    subscription = _subscription(big, str(Decimal(1_000_000) / 12), D(2025, 6, 1), D(2027, 6, 1))
    _change(subscription, D(2026, 4, 1), str(Decimal(1_100_000) / 12))
    services.quota_set(
        workspace=workspace, actor=None, member=carol, period_start=D(2026, 1, 1), period_end=D(2026, 12, 31)
    )
    standing = spend.book_standing(workspace, carol, D(2026, 6, 30))
    assert standing.period == Period(D(2026, 1, 1), D(2026, 6, 30))
    assert standing.arr_start == pytest.approx(Decimal(1_000_000), abs=1)
    assert standing.arr_now == pytest.approx(Decimal(1_100_000), abs=1)
    assert standing.target_arr == pytest.approx(Decimal(1_200_000), abs=1)
    assert standing.attainment.value == pytest.approx(1.1 / (1 + 0.2 * 181 / 365), abs=1e-4)
    assert standing.accounts == 1


def test_a_target_arr_overrides_the_target_nrr(workspace: Workspace, carol: Member) -> None:
    big = _account(workspace, "Big", "strategic", carol)
    _subscription(big, "10000", D(2025, 6, 1), D(2027, 6, 1))
    services.quota_set(
        workspace=workspace,
        actor=None,
        member=carol,
        period_start=D(2026, 1, 1),
        period_end=D(2026, 12, 31),
        target_arr="150000",
    )
    standing = spend.book_standing(workspace, carol, D(2026, 3, 1))
    assert standing.target_arr == Decimal("150000")
    # 125% over the quota's 365 days; 60 days in, the book should have grown by 25% × 60/365.
    assert standing.attainment.value == pytest.approx(1 / (1 + 0.25 * 60 / 365), abs=1e-5)


def test_without_a_quota_the_book_is_read_over_the_year_to_date(workspace: Workspace, dave: Member) -> None:
    standing = spend.book_standing(workspace, dave, D(2026, 5, 10))
    assert standing.period == Period(D(2026, 1, 1), D(2026, 5, 10))
    assert standing.quota is None and standing.accounts == 0 and standing.attainment.value is None


def test_under_filters_the_worked_lines_say_the_spend_is_workspace_wide(
    workspace: Workspace, ledger: dict[str, Account]
) -> None:
    _spend(workspace, SM, "12000")
    figures = spend.spend_figures(workspace, Q1, Filters(tier="enterprise"))
    assert figures.cac.worked.endswith("(spend is the whole workspace's; the ACV only the filtered accounts')")
    assert "filtered" not in spend.spend_figures(workspace, Q1, Filters()).cac.worked
