"""The accounts pages in a real browser: log in, filter, save the filter as a segment, open an account.

Drives Debian's Chromium (/usr/bin/chromium) through Playwright's sync API against pytest-django's
live server; never a downloaded browser. Skipped with a reason when Chromium is missing, except under
CI=true, where a missing browser is a failure.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from retain.accounts import services
from retain.accounts.models import Account, Segment
from retain.tenancy.models import Member, Workspace
from retain.web.tests.browser import log_in
from retain.web.tests.browser import page as page  # Debian's Chromium through Playwright

SCREENSHOT = Path("/tmp/retain-account-page.png")

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


def test_a_csm_filters_the_list_saves_a_segment_and_opens_an_account(
    transactional_db: None, live_server: Any, page: Any, workspace: Workspace, carol: Member, account: Account
) -> None:
    initech = services.account_create(
        workspace=workspace, actor=None, via="test", name="Initech", domain="initech.example", tier="community"
    )
    today = dt.date.today()
    services.subscription_create(
        account=initech, actor=None, via="test", product="Starter", mrr=Decimal("99"),
        started_on=today - dt.timedelta(days=20), term_end=today + dt.timedelta(days=345),
    )  # fmt: skip
    services.contact_create(
        account=account, actor=None, via="test", first_name="Gina", last_name="Ortiz", email="gina@globex.example",
        title="VP Marketing", role="champion",
    )  # fmt: skip
    services.touchpoint_log(
        account=account, actor=carol, via="test", kind="meeting", summary="Kick-off with the marketing team",
        next_step="Share the onboarding plan", occurred_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=4),
    )  # fmt: skip

    # Log in: a CSM's only workspace opens on My book; the accounts list is one click away.
    log_in(page, live_server, carol)
    page.wait_for_url(re.compile(r"/w/acme/my-book/"))
    page.goto(f"{live_server.url}/w/acme/accounts/")
    rows = page.locator(".accounts-table tbody tr")
    assert rows.count() == 2

    # Ticking a tier swaps the results in place and puts the filter in the address bar.
    page.check("input[name=tier][value=enterprise]")
    page.wait_for_url(re.compile(r"tier=enterprise"))
    page.wait_for_function("document.querySelectorAll('.accounts-table tbody tr').length === 1")
    assert "Globex" in rows.first.inner_text()
    assert "Initech" not in page.locator("#results").inner_text()
    page.screenshot(path=str(SCREENSHOT.with_name("retain-accounts-list.png")))

    # Save the filter as a segment.
    page.fill("#segment-name", "Enterprise accounts")
    page.click("text=Save segment")
    page.wait_for_load_state()
    segment = Segment.objects.get(workspace=workspace, name="Enterprise accounts")
    assert segment.criteria == {"tier": ["enterprise"]}

    # Open the account from the list.
    page.goto(f"{live_server.url}/w/acme/accounts/?tier=enterprise")
    page.click("a.account-name:has-text('Globex')")
    page.wait_for_url(re.compile(rf"/w/acme/accounts/{account.pk}/$"))
    assert page.locator("h1").inner_text() == "Globex"
    body = page.locator("main").inner_text()
    for text in ("$12,000", "in 60 days", "Gina Ortiz", "Kick-off with the marketing team", "4 days"):
        assert text in body, text
    # The product row opens its movements (Alpine).
    movements = page.locator(".movements").first
    assert not movements.is_visible()
    page.click("button.disclosure")
    movements.wait_for(state="visible")
    assert "New" in movements.inner_text()
    page.screenshot(path=str(SCREENSHOT), full_page=True)


def test_a_csm_reads_portfolio_health_opens_a_red_account_and_sets_its_pulse(
    transactional_db: None, live_server: Any, page: Any, workspace: Workspace, carol: Member, account: Account
) -> None:
    from retain.accounts.selectors import workspace_today
    from retain.health import services as health_services
    from retain.health.models import HealthScore, Pulse
    from retain.usage.models import DailyAccountUsage

    today = workspace_today(workspace)
    # Twelve accounts whose usage fades with their number, scored by the default scorecards over
    # the last 8 weeks: some stay green, some turn red.
    # Each a paying customer for over a year, so every one is scored (not "not scored yet").
    accounts = [account]
    for i in range(11):
        each = services.account_create(
            workspace=workspace, actor=None, via="test", name=f"Account {i:02}", tier="community", owner=carol,
            customer_since=today - dt.timedelta(days=400),
        )  # fmt: skip
        services.subscription_create(
            account=each, actor=None, via="test", product="Starter", mrr=Decimal("99"),
            started_on=today - dt.timedelta(days=400), term_end=today + dt.timedelta(days=330),
        )  # fmt: skip
        accounts.append(each)
    rows = []
    for index, each in enumerate(accounts):
        for back in range(90):
            day = today - dt.timedelta(days=back)
            if (back * 7 + index) % 12 < 12 - index * (1 if back < 30 else 0.3):
                rows.append(
                    DailyAccountUsage(workspace=workspace, account=each, day=day, events=20, active_users=3, logins=3)
                )
    DailyAccountUsage.objects.bulk_create(rows)
    for back in range(56, -1, -7):
        health_services.health_recompute(workspace=workspace, day=today - dt.timedelta(days=back))
    assert HealthScore.objects.filter(day=today).count() == 12

    log_in(page, live_server, carol)
    page.wait_for_url(re.compile(r"/w/acme/my-book/"))

    page.click("nav.mainnav summary:has-text('Success')")  # Health is in the Success menu
    page.click("nav.mainnav .navgroup-panel >> text=Health")
    page.wait_for_url(re.compile(r"/w/acme/health/$"))
    assert "green / scored accounts =" in page.locator("#green-share").inner_text()
    assert page.locator("#quadrant circle.dot").count() == 12
    page.screenshot(path=str(SCREENSHOT.with_name("retain-health-dashboard.png")), full_page=True)

    page.click("#quadrant a >> nth=0")
    page.wait_for_url(re.compile(r"/w/acme/accounts/\d+/$"))
    card = page.locator("#health")
    assert "Breakdown" in card.inner_text()
    assert "What changed since last week" in card.inner_text()
    page.check("#health input[name=value][value='1']")
    page.fill("#pulse-note", "Sponsor left last week")
    page.click("#health button:has-text('Set pulse')")
    page.wait_for_load_state()
    assert "Pulse set to red." in page.locator(".messages").inner_text()
    assert Pulse.objects.get().note == "Sponsor left last week"
    page.screenshot(path=str(SCREENSHOT.with_name("retain-health-account.png")), full_page=True)

    page.goto(f"{live_server.url}/w/acme/health/scorecards/")
    page.click("text=Community (tech-touch)")
    assert "applies_to: {default: true}" in page.locator("#definition").inner_text()
    page.screenshot(path=str(SCREENSHOT.with_name("retain-health-scorecard.png")), full_page=True)
