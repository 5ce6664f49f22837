"""A CSM's home and a manager's balancing preview in a real browser (Debian's Chromium), at 1280
and 390 px wide: nothing scrolls sideways on a phone, and the plan's edit changes the preview.
Screenshots go to /tmp/retain-team-*.png."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from retain.accounts import services as account_services
from retain.accounts.models import Account
from retain.tasks import services as task_services
from retain.team.tests.conftest import new_account
from retain.tenancy.models import Member, Workspace
from retain.web.tests.browser import fits_width, log_in
from retain.web.tests.browser import page as page  # Debian's Chromium through Playwright

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]
SHOTS = Path("/tmp")


def _no_sideways_scroll(page: Any) -> None:
    fits_width(page)


def _shoot(page: Any, name: str) -> None:
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        _no_sideways_scroll(page)
        page.screenshot(path=str(SHOTS / f"retain-team-{name}-{width}.png"), full_page=True)


def test_a_csm_walks_their_book_and_a_manager_previews_and_edits_a_balancing_plan(
    transactional_db: None, live_server: Any, page: Any, workspace: Workspace, mark: Member, erin: Member, ed: Member
) -> None:
    names = ["Globex", "Initech", "Umbrella", "Hooli", "Vandelay Industries"]
    accounts = [
        new_account(workspace, name, tier="strategic" if i < 2 else "enterprise", owner=erin, mrr=800 * (i + 1))
        for i, name in enumerate(names)
    ]
    account_services.touchpoint_log(
        account=accounts[0],
        actor=erin,
        via="test",
        kind="call",
        summary="Check-in",
        occurred_at=timezone.now() - dt.timedelta(days=30),
    )
    account_services.touchpoint_log(
        account=accounts[2],
        actor=erin,
        via="test",
        kind="meeting",
        summary="Review",
        occurred_at=timezone.now() - dt.timedelta(days=2),
    )
    task_services.task_create(
        account=accounts[1],
        title="Send the renewal proposal",
        kind="email",
        due_on=dt.date.today() - dt.timedelta(days=2),
        owner=erin,
        actor=erin,
    )
    task_services.task_create(
        account=accounts[3], title="Weekly call", kind="call", due_on=dt.date.today(), owner=erin, actor=erin
    )
    Account.objects.filter(pk=accounts[4].pk).update(mrr=Decimal(5000))

    # Generous waits: the machine running the suite is shared, and a page may take long to come.
    page.set_default_timeout(60_000)
    page.set_default_navigation_timeout(60_000)
    log_in(page, live_server, erin)
    page.goto(f"{live_server.url}/w/acme/my-book/")
    page.wait_for_selector("#accounts tbody tr[data-account]")
    assert page.locator("#accounts tbody tr[data-account]").count() == 5
    assert "Send the renewal proposal" in page.inner_text("#tasks")
    assert "Globex" in page.inner_text("#cadence-due")
    assert page.locator("a[aria-current=page]", has_text="My book").count() == 1
    _shoot(page, "my-book")

    page.click(".usermenu summary")
    page.click("button:has-text('Log out')")
    log_in(page, live_server, mark)
    page.goto(f"{live_server.url}/w/acme/team/")
    page.wait_for_selector("#team-table")
    assert "Erin" in page.inner_text("#team-table")
    page.click("button:has-text('Propose balancing')")
    page.wait_for_selector("#preview")
    summary = page.inner_text("#plan-summary")
    assert summary.startswith("Move 2 accounts")
    erin_row = page.locator(f"#preview tr[data-member='{erin.pk}']")
    assert "5 → 3" in erin_row.inner_text()
    _shoot(page, "balance-preview")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("#moves input[type=checkbox]").first.uncheck()
    page.click("button[value=update]")
    page.wait_for_selector("text=Plan updated.")
    assert page.inner_text("#plan-summary").startswith("Move 1 account,")
    assert "5 → 4" in page.locator(f"#preview tr[data-member='{erin.pk}']").inner_text()
    page.click("button[value=apply]")
    page.wait_for_selector("text=Moved 1 account.")
    assert Account.objects.filter(owner=ed).count() == 1
