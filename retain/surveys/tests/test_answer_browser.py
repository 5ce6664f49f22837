"""A contact answers from the e-mailed link in a real browser, logged out, under the site's headers.

The link is taken from the message the local SMTP server received, so the page is reached exactly as
a customer reaches it; Chromium then sends the Origin and Referer headers that the page's own
Referrer-Policy allows, which the CSRF check must accept.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from retain.accounts.models import Contact
from retain.messaging import services as messaging_services
from retain.messaging.tests.receivers import Inbox
from retain.surveys import services
from retain.surveys.models import Response, Survey
from retain.web.tests.browser import page as page  # Debian's Chromium through Playwright

SCREENSHOTS = Path("/tmp")

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


def received_link(inbox: Inbox, prefix: str, *, deadline: float = 20.0) -> str:
    """The first link starting with `prefix` in the plain-text body of a received message."""
    give_up = time.monotonic() + deadline
    while time.monotonic() < give_up:
        for _, message in list(inbox.messages):
            text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]  # the message has that part: it is built with both
            for word in text.split():
                if word.startswith(prefix) and not word.rstrip("/").endswith("unsubscribe"):
                    return word
        time.sleep(0.05)
    raise AssertionError(f"no message with a link starting {prefix} arrived in {deadline} s")


def test_a_logged_out_contact_answers_from_the_emailed_link_and_sees_thank_you(
    transactional_db: None, live_server: Any, page: Any, smtp: Inbox, nps: Survey, jane: Contact
) -> None:
    with override_settings(SITE_URL=live_server.url):
        services.surveys_sweep()
        # Whether the invitation went straight to SMTP or through the messaging outbox, it is sent now.
        messaging_services.deliveries_send_due()
        link = received_link(smtp, f"{live_server.url}/s/")

    statuses: list[int] = []
    page.on("response", lambda response: statuses.append(response.status))
    page.goto(link)
    assert page.locator("h1").inner_text() == nps.question
    page.screenshot(path=str(SCREENSHOTS / "retain-survey-answer-1280.png"), full_page=True)
    page.click("label[for=score-9]")  # the radio itself is visually hidden behind its large label
    page.fill("#comment", "Quick onboarding")
    page.click("button:has-text('Send your answer')")
    page.wait_for_selector("text=Thank you, Jane.")
    assert 403 not in statuses
    assert "Change your answer" in page.locator("main").inner_text()

    answer = Response.objects.get()
    assert (answer.contact, answer.score, answer.comment, answer.source) == (jane, 9, "Quick onboarding", "email")

    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SCREENSHOTS / "retain-survey-answer-390.png"), full_page=True)

    # The page's own unsubscribe link, followed and confirmed in the same browser.
    page.click("text=Unsubscribe")
    page.wait_for_url(re.compile(r"/unsubscribe/$"))
    page.click("button:has-text('Unsubscribe')")
    page.wait_for_selector("text=You are unsubscribed")
    jane.refresh_from_db()
    assert jane.email_unsubscribed_at is not None
