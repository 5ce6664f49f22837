from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse

from retain.accounts.models import Account
from retain.journeys.models import MilestoneProgress
from retain.journeys.services import barrier_add, journey_start
from retain.tenancy.models import Member

START = dt.date(2026, 9, 1)


def _page(member: Member, account: Account, slug: str = "acme") -> tuple[int, str]:
    client = Client()
    client.force_login(member.user)
    response = client.get(reverse("account", args=[slug, account.pk]))
    return response.status_code, response.content.decode()


def test_the_account_page_shows_each_milestone_with_its_status_and_evidence(account: Account, vic: Member) -> None:
    journey_start(account=account, started_on=START)
    MilestoneProgress.objects.filter(account=account, key="technical-setup").update(
        status="done", completed_on=START, evidence={"summary": "Blog Migrated on 2026-09-01"}
    )
    barrier_add(
        progress=MilestoneProgress.objects.get(account=account, key="active"),
        kind="customer_challenge",
        title="Blog migration is slow",
        owner=vic,
    )
    status, html = _page(vic, account)
    assert status == 200
    assert "Critical path v1" in html
    assert "Blog Migrated on 2026-09-01" in html
    assert "Blog migration is slow" in html


def test_an_account_without_a_journey_says_so(account: Account, carol: Member) -> None:
    status, html = _page(carol, account)
    assert status == 200 and "Not on a journey." in html


def test_outsider_gets_404(account: Account, olga: Member) -> None:
    journey_start(account=account, started_on=START)
    status, _ = _page(olga, account, slug="acme")
    assert status == 404
