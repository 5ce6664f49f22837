"""The portal end to end in Chromium: Carol invites Jane from the app, the sign-in e-mail reaches a
real local SMTP server, Jane (in no session) follows its link, signs in, ticks a commitment of her
side, asks a question, and sees nothing of Initech. Screenshots at 1280 and 390 px wide of every
portal page go to /work/shots/portal/."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from typing import Any

import pytest

from retain.accounts.models import Account, Contact
from retain.messaging.services import deliveries_send_due
from retain.messaging.tests.receivers import Inbox
from retain.messaging.tests.receivers import smtp as smtp  # a real local SMTP server
from retain.plans.models import Commitment
from retain.portal import services
from retain.portal.choices import ResourceKind
from retain.portal.tests.test_pages import _held_review
from retain.routing.models import InboundMessage
from retain.tenancy.models import Member
from retain.web.tests.browser import log_in
from retain.web.tests.browser import page as page  # Debian's Chromium through Playwright

SHOTS = Path("/work/shots/portal") if Path("/work/shots").is_dir() else Path("/tmp")
WIDTHS = (1280, 390)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


def _shoot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"portal-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def _wait_for_mail(inbox: Inbox, count: int, deadline_seconds: float = 15) -> None:
    deadline = time.monotonic() + deadline_seconds
    while len(inbox.messages) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"no e-mail arrived within {deadline_seconds} s")
        time.sleep(0.05)


def test_a_contact_signs_in_from_the_email_ticks_asks_and_sees_only_their_account(
    transactional_db: None,
    live_server: Any,
    page: Any,
    smtp: Inbox,
    settings: Any,
    globex: Account,
    jane: Contact,
    initech: Account,
    bob: Contact,
    carol: Member,
    alice: Member,
) -> None:
    settings.SITE_URL = live_server.url
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    for stage, title in (("onboarding", "Getting started with tracking"), ("adoption", "Lead nurture webinar")):
        services.resource_save(
            workspace=globex.workspace, actor=alice, title=title, url=f"https://kb.example.com/{stage}",
            kind=ResourceKind.KB_ARTICLE, stages=[stage], editions=[], refreshed_on=dt.date.today(),
        )  # fmt: skip

    review = _held_review(globex, jane, carol)

    # Carol invites Jane from the app.
    log_in(page, live_server, carol)
    page.goto(f"{live_server.url}/w/acme/settings/portal/")
    page.fill("#portal-invite input[name=email]", "jane@globex.example")
    page.click("#portal-invite button[type=submit]")
    page.wait_for_selector("#portal-invitations tr[data-access]")
    _shoot(page, "app-settings")

    assert deliveries_send_due() == 1  # the outbox's minutely sweep, as a worker runs it
    _wait_for_mail(smtp, 1)
    recipients, message = smtp.messages[0]
    assert recipients == ["jane@globex.example"]
    found = re.search(r"https?://\S+/portal/sign-in/\S+/", message.get_content())
    assert found is not None
    link = found.group(0)

    page.context.clear_cookies()  # Jane is somebody else, in no session
    page.goto(link)
    page.wait_for_selector("#sign-in-link button[type=submit]")
    _shoot(page, "sign-in-link")
    page.click("#sign-in-link button[type=submit]")
    page.wait_for_url(f"{live_server.url}/portal/")
    assert "Globex doubles inbound leads" in page.inner_text("main")
    _shoot(page, "plan")

    # Tick the first commitment of Jane's side.
    page.click("nav.tabs >> text=Onboarding & commitments")
    page.wait_for_selector("#theirs")
    first = page.locator("#theirs li[data-commitment]").first
    pk = int(first.get_attribute("data-commitment"))
    first.locator("button[type=submit]").click()
    page.wait_for_selector(f"#commitment-{pk} button.undo")
    assert Commitment.objects.get(pk=pk).status == "done"
    _shoot(page, "commitments")

    page.click("nav.tabs >> text=Critical path")
    page.wait_for_selector("#milestones")
    _shoot(page, "path")
    page.click("nav.tabs >> text=Business reviews")
    page.wait_for_selector(f"#reviews li[data-review='{review.pk}']")
    _shoot(page, "reviews")
    page.click(f"#reviews li[data-review='{review.pk}'] a")
    page.wait_for_url(f"{live_server.url}/portal/reviews/{review.pk}/")
    assert review.period in page.inner_text("body") and "Health score" not in page.inner_text("body")
    _shoot(page, "review")
    page.go_back()
    page.wait_for_selector("#reviews")
    page.click("nav.tabs >> text=Resources")
    page.wait_for_selector("#resources")
    assert "Getting started with tracking" in page.inner_text("#resources")
    assert "Lead nurture webinar" not in page.inner_text("#resources")
    _shoot(page, "resources")

    page.click("nav.tabs >> text=Ask a question")
    page.fill("textarea[name=text]", "Can we add a second blog to the tracking?")
    page.click("#ask button[type=submit]")
    page.wait_for_selector("#ask .ok")
    _shoot(page, "ask")
    question = InboundMessage.objects.get(workspace=globex.workspace)
    assert (question.source, question.account_id) == ("portal", globex.pk)

    # Nothing of Initech, on any page, and Initech's commitment is not found.
    for path in ("", "commitments/", "path/", "reviews/", "resources/", "ask/"):
        page.goto(f"{live_server.url}/portal/{path}")
        assert "Initech" not in page.content() and "bob@initech.example" not in page.content()
    theirs = Commitment.objects.filter(plan__account=initech).first()
    assert theirs is not None
    status = page.evaluate(
        """async (url) => {
            const token = document.querySelector('input[name=csrfmiddlewaretoken]').value;
            const body = new URLSearchParams({csrfmiddlewaretoken: token, done: '1'});
            return (await fetch(url, {method: 'POST', body})).status;
        }""",
        f"/portal/commitments/{theirs.pk}/tick/",
    )
    assert status == 404
    theirs.refresh_from_db()
    assert theirs.status == "open"

    # The link is used up; signing out ends the session.
    page.click("header.top button[type=submit]")
    page.wait_for_url(f"{live_server.url}/portal/sign-in/")
    _shoot(page, "sign-in")
    page.goto(link)
    assert "does not work" in page.inner_text("body")
    assert errors == []
