"""A password reset in a real browser, logged out: from the login page's link through the e-mail at
a real local SMTP server to logging in with the new password; then the admin's audit log.
Screenshots at 1280 and 390 px wide go to /tmp."""

from __future__ import annotations

import re
from typing import Any

import pytest

from retain.messaging.tests.receivers import Inbox
from retain.messaging.tests.receivers import smtp as smtp  # a real local SMTP server
from retain.tenancy.models import Member
from retain.web.tests.browser import log_in
from retain.web.tests.browser import page as page  # Debian's Chromium through Playwright
from retain.web.tests.test_invitation_browser import _shoot, _wait_for_mail

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

NEW_PASSWORD = "plum-orchard-lantern-42"


def test_a_member_resets_a_forgotten_password_from_the_login_page(
    transactional_db: None, live_server: Any, page: Any, smtp: Inbox, carol: Member, settings: Any
) -> None:
    settings.SITE_URL = live_server.url  # the e-mailed link starts at the site's address, not the request's host
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/login/")
    page.click("text=Forgot your password?")
    page.wait_for_url(f"{live_server.url}/password-reset/")
    _shoot(page, "password-reset")
    page.fill("input[name=email]", "carol@acme.example")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/password-reset/sent/")
    assert "Check your e-mail" in page.inner_text("body")

    _wait_for_mail(smtp, 1)
    recipients, message = smtp.messages[0]
    assert recipients == ["carol@acme.example"]
    found = re.search(r"https?://\S+", message.get_content())
    assert found is not None and found.group(0).startswith(live_server.url)
    page.goto(found.group(0))
    page.wait_for_selector("input[name=new_password1]")
    _shoot(page, "password-reset-confirm")
    page.fill("input[name=new_password1]", NEW_PASSWORD)
    page.fill("input[name=new_password2]", NEW_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/password-reset/done/")

    page.click("text=Log in")
    page.fill("input[name=username]", "carol@acme.example")
    page.fill("input[name=password]", NEW_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/w/acme/.*"))
    carol.user.refresh_from_db()
    assert carol.user.check_password(NEW_PASSWORD)
    assert errors == []


def test_an_admin_reads_and_filters_the_audit_log(
    transactional_db: None, live_server: Any, page: Any, alice: Member, carol: Member
) -> None:
    log_in(page, live_server, alice)
    page.goto(f"{live_server.url}/w/acme/members/{carol.pk}/")
    page.select_option("select[name=role]", "manager")
    page.click("form.form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/w/acme/members/")
    page.goto(f"{live_server.url}/w/acme/write-keys/")
    page.fill("input[name=name]", "Product")
    page.click("form.form button[type=submit]")
    page.wait_for_selector("text=Product")
    page.goto(f"{live_server.url}/w/acme/audit/")
    page.wait_for_selector("#audit")
    assert "role: CSM" not in page.inner_text("#audit")
    assert "role: csm → manager" in page.inner_text("#audit")
    _shoot(page, "audit-log")
    page.select_option("select[name=action]", "write_key.created")
    page.click("text=Filter")
    page.wait_for_url(re.compile(r".*action=write_key\.created.*"))
    rows = page.locator("#audit tbody tr")
    assert rows.count() == 1 and "Product" in rows.first.inner_text()
