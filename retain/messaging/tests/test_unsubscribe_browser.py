"""A contact unsubscribes from an automated e-mail's link in a real browser, logged out.

The link comes from the message the local SMTP server received; the page's form is posted by
Chromium with the headers its own Referrer-Policy allows.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import override_settings

from retain.accounts.models import Account, Contact
from retain.messaging import services
from retain.messaging.tests.receivers import Inbox
from retain.web.tests.browser import page as page  # Debian's Chromium through Playwright

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


def received_unsubscribe_link(inbox: Inbox, prefix: str, *, deadline: float = 20.0) -> str:
    give_up = time.monotonic() + deadline
    while time.monotonic() < give_up:
        for _, message in list(inbox.messages):
            for word in message.get_content().split():
                if word.startswith(prefix):
                    return str(word)
        time.sleep(0.05)
    raise AssertionError(f"no message with a link starting {prefix} arrived in {deadline} s")


def test_a_logged_out_contact_unsubscribes_from_the_emailed_link(
    transactional_db: None, live_server: Any, page: Any, smtp: Inbox, account: Account, jane: Contact
) -> None:
    with override_settings(SITE_URL=live_server.url):
        services.email_enqueue(
            account=account,
            contact=jane,
            subject="Welcome to Acme",
            body="Hi Jane,\nwelcome aboard.",
            idempotency_key="welcome:1",
            source="playbook:welcome",
        )
        services.deliveries_send_due()
        link = received_unsubscribe_link(smtp, f"{live_server.url}/m/u/")

    statuses: list[int] = []
    page.on("response", lambda response: statuses.append(response.status))
    page.goto(link)
    assert page.locator("h1").inner_text() == "Unsubscribe jane@globex.example?"
    page.screenshot(path="/tmp/retain-unsubscribe-1280.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path="/tmp/retain-unsubscribe-390.png", full_page=True)
    jane.refresh_from_db()
    assert jane.email_unsubscribed_at is None  # opening the page changes nothing

    page.click("button:has-text('Unsubscribe')")
    page.wait_for_selector("text=You are unsubscribed")
    assert 403 not in statuses
    jane.refresh_from_db()
    assert jane.email_unsubscribed_at is not None
    page.screenshot(path="/tmp/retain-unsubscribed-390.png", full_page=True)
