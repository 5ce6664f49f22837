"""An invitation end to end in a real browser: Alice invites Sam from the members page, the e-mail
arrives at a real local SMTP server, and Sam, logged out, follows its link, sets a name and a
password and lands in the workspace. Screenshots at 1280 and 390 px wide go to /tmp."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from retain.messaging.tests.receivers import Inbox
from retain.messaging.tests.receivers import smtp as smtp  # a real local SMTP server
from retain.tenancy.models import Member
from retain.web.tests.browser import log_in
from retain.web.tests.browser import page as page  # Debian's Chromium through Playwright

SCREENSHOTS = Path("/tmp")
WIDTHS = (1280, 390)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


def _wait_for_mail(inbox: Inbox, count: int, deadline_seconds: float = 15) -> None:
    deadline = time.monotonic() + deadline_seconds
    while len(inbox.messages) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"no e-mail arrived within {deadline_seconds} s")
        time.sleep(0.05)


def _shoot(page: Any, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / f"retain-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_an_invitee_follows_the_emailed_link_logged_out_and_lands_in_the_workspace(
    transactional_db: None, live_server: Any, page: Any, smtp: Inbox, settings: Any, alice: Member
) -> None:
    settings.SITE_URL = live_server.url
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server, alice)
    page.goto(f"{live_server.url}/w/acme/members/")
    invite = page.locator("#invitations form.form")
    invite.locator("input[name=email]").fill("sam@acme.example")
    invite.locator("select[name=role]").select_option("manager")
    invite.locator("button[type=submit]").click()
    page.wait_for_selector("#invitations tr[data-invitation]")
    assert "sam@acme.example" in page.inner_text("#invitations")
    _shoot(page, "members-invitations")

    _wait_for_mail(smtp, 1)
    recipients, message = smtp.messages[0]
    assert recipients == ["sam@acme.example"]
    found = re.search(r"https?://\S+", message.get_content())
    assert found is not None
    link = found.group(0)
    assert link.startswith(f"{live_server.url}/invitations/")

    page.context.clear_cookies()  # Sam is somebody else, in no session
    page.goto(link)
    page.wait_for_selector("#invitation")
    assert "You are invited as Manager" in page.inner_text("#invitation")
    _shoot(page, "invitation-accept")
    page.fill("input[name=first_name]", "Sam")
    page.fill("input[name=last_name]", "Lee")
    page.fill("input[name=password]", "plum-orchard-lantern-42")
    page.click("#invitation button[type=submit]")
    page.wait_for_url(f"{live_server.url}/w/acme/")
    assert "Welcome to Acme CS." in page.inner_text("body")
    sam = Member.objects.get(workspace=alice.workspace, user__email="sam@acme.example")
    assert (sam.role, sam.display_name) == ("manager", "Sam Lee")

    # The link is used up.
    page.goto(link)
    assert "does not work" in page.inner_text("body")
    assert errors == []
