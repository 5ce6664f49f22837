"""Segments are criteria stored as data and evaluated anew on every use."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from retain.accounts import services
from retain.accounts.segments import clean_criteria, describe
from retain.accounts.selectors import accounts_matching, segment_accounts
from retain.tenancy.models import Member, Workspace

TODAY = dt.date.today()


@pytest.fixture
def book(workspace: Workspace, carol: Member, dave: Member) -> None:
    def make(name: str, tier: str, owner: Member | None, mrr: int, renews_in: int, **extra: object) -> None:
        account = services.account_create(
            workspace=workspace, actor=None, via="test", name=name, tier=tier, owner=owner, **extra
        )
        services.subscription_create(
            account=account, actor=None, via="test", product="Core", mrr=Decimal(mrr),
            started_on=TODAY - dt.timedelta(days=300), term_end=TODAY + dt.timedelta(days=renews_in),
        )  # fmt: skip

    make("Acme Rockets", "enterprise", carol, 2000, 30, domain="rockets.example")
    make("Beta Bakery", "community", dave, 100, 200, industry="Food")
    make("Cyberdyne", "strategic", carol, 20000, 120, traits={"region": "emea"})
    make("Dunder Mifflin", "community", None, 50, 80)


def _names(queryset: object) -> list[str]:
    return [account.name for account in queryset]  # type: ignore[attr-defined]  # the rows are accounts


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({}, ["Acme Rockets", "Beta Bakery", "Cyberdyne", "Dunder Mifflin"]),
        ({"q": "rockets"}, ["Acme Rockets"]),
        ({"tier": ["community"]}, ["Beta Bakery", "Dunder Mifflin"]),
        ({"owner": ["none"]}, ["Dunder Mifflin"]),
        ({"renewal_within_days": 90}, ["Acme Rockets", "Dunder Mifflin"]),
        ({"arr_min": "24000"}, ["Acme Rockets", "Cyberdyne"]),
        ({"arr_max": "1200"}, ["Beta Bakery", "Dunder Mifflin"]),
        ({"industry": ["Food"]}, ["Beta Bakery"]),
        ({"traits": {"region": "emea"}}, ["Cyberdyne"]),
        ({"tier": ["community", "strategic"], "renewal_within_days": 150}, ["Cyberdyne", "Dunder Mifflin"]),
    ],
)
def test_criteria_select_accounts(
    book: None, workspace: Workspace, criteria: dict[str, object], expected: list[str]
) -> None:
    assert _names(accounts_matching(workspace, clean_criteria(criteria))) == expected


def test_owner_criteria_name_members(book: None, workspace: Workspace, carol: Member) -> None:
    assert _names(accounts_matching(workspace, clean_criteria({"owner": [str(carol.pk)]}))) == [
        "Acme Rockets",
        "Cyberdyne",
    ]


def test_sorting_by_arr_and_renewal(book: None, workspace: Workspace) -> None:
    assert _names(accounts_matching(workspace, {}, sort="-arr"))[0] == "Cyberdyne"
    assert _names(accounts_matching(workspace, {}, sort="renewal"))[0] == "Acme Rockets"


def test_a_saved_segment_is_re_evaluated_on_use(book: None, workspace: Workspace, carol: Member) -> None:
    segment = services.segment_create(
        workspace=workspace, actor=carol, name="Renewing soon", criteria={"renewal_within_days": "90"}
    )
    assert segment.criteria == {"renewal_within_days": 90}
    assert _names(segment_accounts(segment)) == ["Acme Rockets", "Dunder Mifflin"]
    services.account_create(workspace=workspace, actor=None, via="test", name="Echo")  # no subscription: not renewing
    late = services.account_create(workspace=workspace, actor=None, via="test", name="Foxtrot")
    services.subscription_create(
        account=late, actor=None, via="test", product="Core", mrr=Decimal(10),
        started_on=TODAY - dt.timedelta(days=10), term_end=TODAY + dt.timedelta(days=5),
    )  # fmt: skip
    assert _names(segment_accounts(segment)) == ["Acme Rockets", "Dunder Mifflin", "Foxtrot"]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"tier": ["gold"]}, "tier"),
        ({"renewal_within_days": "soon"}, "renewal_within_days"),
        ({"renewal_within_days": -1}, "renewal_within_days"),
        ({"arr_min": "NaN"}, "arr_min"),
        ({"owner": ["carol"]}, "owner"),
        ({"colour": "red"}, "colour"),
        ({"traits": {"a__b": 1}}, "traits"),
    ],
)
def test_bad_criteria_are_refused_naming_the_criterion(raw: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        clean_criteria(raw)
    assert field in caught.value.message_dict


def test_segment_names_are_unique_per_workspace(workspace: Workspace) -> None:
    services.segment_create(workspace=workspace, actor=None, name="At risk", criteria={})
    with pytest.raises(ValidationError) as caught:
        services.segment_create(workspace=workspace, actor=None, name=" At risk ", criteria={})
    assert "name" in caught.value.message_dict


def test_criteria_read_as_words() -> None:
    assert describe({"tier": ["community"], "renewal_within_days": 90}) == "tier: community; renewal within days: 90"
    assert describe({}) == "all accounts"
