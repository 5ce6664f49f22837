"""The inbound pages in Chromium: a CSM adds a question by hand, finds it at its desk, moves a triaged
one, and reads the unmatched senders, product feedback, measures and rules; a manager's bad rule is
shown with its line and column. No page scrolls sideways at 390 px. Screenshots at 1280 and 390 px
go to SCREENSHOT_DIR (the test's temporary folder otherwise)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from retain.accounts.models import Account, Contact
from retain.routing import router, services
from retain.routing.choices import Desk, Source
from retain.routing.models import InboundMessage
from retain.tenancy.models import Member, Workspace
from retain.web.tests.browser import fits_width, log_in
from retain.web.tests.browser import page as page  # Debian's Chromium through Playwright

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

WIDTHS = (1280, 390)


def _shoot(page: Any, folder: Path, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(folder / f"inbound-{name}-{width}.png"), full_page=True)
        fits_width(page, f"the {name} page")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_inbound_pages(
    transactional_db: None,
    live_server: Any,
    page: Any,
    carol: Member,
    mark: Member,
    alice: Member,
    workspace: Workspace,
    account: Account,
    jane: Contact,
    tmp_path: Path,
) -> None:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.set_default_timeout(60_000)
    router.default_model()
    for text in ("It would be great if workflows could branch on lead score ranges",
                 "Please add a TikTok channel to social monitoring",
                 "Could social monitoring cover TikTok as well?"):  # fmt: skip
        services.inbound_receive(workspace=workspace, source=Source.EMAIL, sender="jane@globex.example", text=text)
    services.inbound_receive(workspace=workspace, source=Source.API, sender="someone@unknown.example", text="hello?")
    triaged = InboundMessage.objects.filter(workspace=workspace, desk=Desk.TRIAGE).first()
    assert triaged is not None  # "hello?" is none of the categories with any confidence

    log_in(page, live_server, carol)
    page.goto(f"{live_server.url}/w/acme/inbound/")
    assert page.locator(f"tr[data-inbound='{triaged.pk}']").count() == 1
    _shoot(page, folder, "triage")
    page.locator(f"tr[data-inbound='{triaged.pk}'] select[name=category]").select_option("how_to")
    page.locator(f"tr[data-inbound='{triaged.pk}'] button:has-text('Move')").click()
    page.wait_for_selector("#no-questions")
    triaged.refresh_from_db()
    assert triaged.desk == Desk.SUPPORT and triaged.corrections.get().by == carol

    page.fill("#new-question input[name=sender]", "jane@globex.example")
    page.fill("#new-question textarea[name=text]", "We have decided to cancel our subscription at the end of the term.")
    page.click("#new-question button[type=submit]")
    page.wait_for_url(re.compile(r"desk=csm"))
    row = page.locator("#questions tr").filter(has_text="cancel our subscription")
    assert (
        "Customer success" in row.inner_text() and "Cancellation" in row.inner_text() and "Globex" in row.inner_text()
    )
    _shoot(page, folder, "csm")

    page.click("nav.inbound-nav a:has-text('Unmatched senders')")
    assert "someone@unknown.example" in page.inner_text("#unmatched")
    _shoot(page, folder, "unmatched")
    page.click("nav.inbound-nav a:has-text('Product feedback')")
    group = page.locator(".feedback-group").filter(has_text="TikTok")
    assert "2 requests" in group.inner_text() and "Globex" in group.inner_text()
    _shoot(page, folder, "feedback")
    page.click("nav.inbound-nav a:has-text('Measures')")
    page.click("#figure-misroute_rate summary")
    assert "1 ÷" in page.inner_text("#figure-misroute_rate") or "0 ÷" in page.inner_text("#figure-misroute_rate")
    _shoot(page, folder, "measures")

    page.context.clear_cookies()
    log_in(page, live_server, mark)
    page.goto(f"{live_server.url}/w/acme/inbound/rules/")
    page.fill("#rules", "rules:\n  - name: x\n    when: {tierr: strategic}\n    route: {desk: csm}\n")
    page.click("#rules-form button[type=submit]")
    assert "rules.yaml:3:12: rules[0].when.tierr: unknown key (did you mean 'tier'?)" in page.inner_text("#issues")
    _shoot(page, folder, "rules")

    page.context.clear_cookies()
    log_in(page, live_server, alice)
    page.goto(f"{live_server.url}/w/acme/inbound/rules/")
    assert "/hooks/inbound/" in page.inner_text("#hooks")
    page.fill("#inbound-settings input[name=support_webhook_url]", "https://support.example/in")
    page.click("#inbound-settings button[type=submit]")
    page.wait_for_selector("text=Inbound settings saved.")
    _shoot(page, folder, "rules-admin")
