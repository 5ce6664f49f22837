"""In Chromium: the account's CSM links a customer's Slack channel and unlinks it again, a bad id is
refused naming the field; an admin sets the support desk's mailbox and a signing secret, which the
page then only says is set. Nothing scrolls sideways at 390 px."""

from __future__ import annotations

from typing import Any

import pytest

from retain.accounts.models import Account
from retain.routing import services
from retain.routing.models import ChannelLink
from retain.tenancy.models import Member
from retain.web.tests.browser import fits_width, log_in
from retain.web.tests.browser import page as page  # Debian's Chromium through Playwright

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]
SHOTS = "/work/shots/leaders"


def _shoot(page: Any, name: str) -> None:
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        fits_width(page, f"{name} at {width} px")
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_csm_links_a_slack_channel_and_an_admin_sets_the_support_mailbox(
    transactional_db: None, live_server: Any, page: Any, account: Account, carol: Member, alice: Member
) -> None:
    log_in(page, live_server, carol)
    slug = account.workspace.slug
    page.goto(f"{live_server.url}/w/{slug}/inbound/slack/")
    assert "No channel linked yet." in page.inner_text("#channels")
    page.fill("#link-channel input[name=channel_id]", "general")
    page.select_option("#link-channel select[name=account]", str(account.pk))
    page.click("#link-channel button[type=submit]")
    assert "channel_id: must be a Slack channel id" in page.inner_text("#link-channel [role=alert]")
    page.fill("#link-channel input[name=channel_id]", "C0ABCDEF12")
    page.click("#link-channel button[type=submit]")
    page.wait_for_selector("#channel-C0ABCDEF12")
    assert "Globex" in page.inner_text("#channel-C0ABCDEF12")
    assert ChannelLink.objects.get(channel_id="C0ABCDEF12").account == account
    _shoot(page, "slack-channels")
    page.click("#channel-C0ABCDEF12 button:has-text('Unlink')")
    page.wait_for_selector("text=Channel C0ABCDEF12 unlinked from Globex.")
    assert not ChannelLink.objects.exists()

    page.context.clear_cookies()
    log_in(page, live_server, alice)
    page.goto(f"{live_server.url}/w/{slug}/inbound/rules/")
    page.fill("#inbound-settings input[name=support_email]", "help@support.example")
    page.fill("#inbound-settings input[name=slack_signing_secret]", "a-slack-signing-secret")
    page.click("#inbound-settings button[type=submit]")
    page.wait_for_selector("text=Inbound settings saved.")
    settings = page.inner_text("#inbound-settings")
    assert "a-slack-signing-secret" not in page.content() and "set; leave empty to keep" in settings
    assert page.input_value("#inbound-settings input[name=support_email]") == "help@support.example"
    setup = services.routing_setup_get(workspace=account.workspace)
    assert (setup.support_email, setup.slack_signing_secret) == ("help@support.example", "a-slack-signing-secret")
    page.locator("#inbound-settings").scroll_into_view_if_needed()
    _shoot(page, "inbound-settings")
