"""A customer opens a shared success-plan link in a real browser, logged out, under the site's policy."""

from __future__ import annotations

from typing import Any

import pytest

from retain.accounts.models import Account
from retain.plans import services
from retain.plans.tests.test_shared_link_tokens import write_plan
from retain.tenancy.models import Member
from retain.web.tests.browser import page as page  # Debian's Chromium through Playwright

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


def test_a_logged_out_customer_reads_the_shared_plan(
    transactional_db: None, live_server: Any, page: Any, account: Account, carol: Member
) -> None:
    write_plan(account, carol, "Double inbound leads", "Globex kick-off")
    _, token = services.shared_link_create(account=account, actor=carol)
    response = page.goto(f"{live_server.url}/p/{token}/")
    assert response.status == 200 and response.headers["referrer-policy"] == "same-origin"
    assert page.locator("h1").inner_text() == "Globex"
    assert "Double inbound leads" in page.locator("body").inner_text()
    page.screenshot(path="/tmp/retain-shared-plan-1280.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path="/tmp/retain-shared-plan-390.png", full_page=True)
