"""The account page's health chart covers the last 90 days, or the days since the account began when
that is more recent: never a stretch of days before the account existed."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from retain.accounts.models import Account
from retain.health.choices import Band
from retain.health.models import Scorecard
from retain.tenancy.models import Member, Workspace
from retain.web.tests.test_health_views import login, scorecard, store_score, today, url
from retain.web.views.account_health import HISTORY_DAYS, account_health_card

__all__ = ["scorecard"]  # the fixture, for the tests below


def test_a_young_account_s_chart_starts_on_its_first_day(
    client: Client, workspace: Workspace, account: Account, scorecard: Scorecard, carol: Member, olga: Member
) -> None:
    day = today(workspace)
    began = day - dt.timedelta(days=20)
    Account.objects.filter(pk=account.pk).update(customer_since=began)
    account.refresh_from_db()
    for back in (14, 7, 0):
        store_score(account, scorecard, day - dt.timedelta(days=back), 60.0 + back, Band.YELLOW)
    chart = account_health_card(account, today=day, can_edit=False)["chart"]
    assert (chart["start"], chart["end"]) == (began, day)
    # 21 days across the plot: the score of 14 days ago sits a third of the way along, not at the far right.
    dots = {dot["day"]: dot["x"] for dot in chart["dots"]}
    share = (dots[day - dt.timedelta(days=14)] - chart["left"]) / chart["plot_width"]
    assert abs(share - 6 / 20) < 0.01
    login(client, carol)
    page = client.get(url("account", account.pk)).content.decode()
    assert f"Since {began:%-d %b %Y}, its start" in page
    assert f"from {began.isoformat()} to {day.isoformat()}" in page
    login(client, olga)
    assert client.get(url("account", account.pk)).status_code == 404


def test_an_older_account_s_chart_covers_the_last_90_days(
    workspace: Workspace, account: Account, scorecard: Scorecard
) -> None:
    day = today(workspace)
    Account.objects.filter(pk=account.pk).update(customer_since=day - dt.timedelta(days=400))
    account.refresh_from_db()
    store_score(account, scorecard, day, 80.0, Band.GREEN)
    chart = account_health_card(account, today=day, can_edit=False)["chart"]
    assert chart["start"] == day - dt.timedelta(days=HISTORY_DAYS - 1)
