"""A CSM prepares, holds and follows up a business review in a real browser; the customer opens
the review's link logged out and sees the customer's version with its chart."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from retain.accounts.models import Account, Contact
from retain.plans.models import Commitment
from retain.reports import services
from retain.reports.choices import ReviewStatus
from retain.reports.models import BusinessReview
from retain.tasks.models import Task
from retain.tenancy.models import Member
from retain.web.tests.browser import charts as charts
from retain.web.tests.browser import fits_width, log_in
from retain.web.tests.browser import page as page  # Debian's Chromium through Playwright

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]
WAIT = 30_000


def test_a_csm_prepares_holds_and_follows_up_a_review(
    transactional_db: None, live_server: Any, page: Any, charts: None, account: Account, carol: Member, jane: Contact
) -> None:
    log_in(page, live_server, carol)
    slug = account.workspace.slug
    page.goto(f"{live_server.url}/w/{slug}/accounts/{account.pk}/reviews/")
    page.fill("input[name=period]", "2026Q4")
    page.fill("textarea[name=agenda]", "Value delivered, usage, next quarter")
    page.click("#new-review button[type=submit]")
    page.wait_for_url("**/reviews/*/", timeout=WAIT)
    page.click("#review-actions button:has-text('Build the draft')")
    page.wait_for_selector("#pack", timeout=WAIT)
    page.click("#prepare")
    page.wait_for_selector("#review-status:has-text('Prepared')", timeout=WAIT)
    page.wait_for_selector("#pack .vega-chart svg", timeout=WAIT)  # vega-embed drew the spec
    assert "Internal only" in page.locator("#pack").inner_text()
    page.screenshot(path="/tmp/retain-review-prepared-1280.png", full_page=True)

    page.fill("input[name=held_on]", (dt.date.today() - dt.timedelta(days=1)).isoformat())
    page.check(f"#hold input[name=contacts][value='{jane.pk}']")
    page.check(f"#hold input[name=members][value='{carol.pk}']")
    page.fill("#hold textarea[name=decisions]", "Roll out workflows to the sales team")
    page.fill("#hold textarea[name=feedback]", "Wants attribution reports")
    page.select_option("#hold select[name=sentiment]", "positive")
    page.click("#hold-submit")
    page.wait_for_selector("#review-status:has-text('Held')", timeout=WAIT)

    page.click("#proposals summary:has-text('Add a proposal')")
    page.select_option("#proposals select[name=kind]", "commitment")
    page.fill("#proposals input[name=text]", "Train the sales team on workflows")
    page.select_option("#proposals select[name=owner]", f"member-{carol.pk}")
    page.fill("#proposals input[name=due_on]", "2027-01-31")
    page.click("#proposals form:has(input[value=proposal]) button[type=submit]")
    page.wait_for_selector("#proposals li:has-text('Train the sales team')", timeout=WAIT)
    page.click("#follow-up")
    page.wait_for_selector("#followed-up", timeout=WAIT)
    assert page.locator("#review-status").inner_text() == "Followed up"
    page.screenshot(path="/tmp/retain-review-followed-up-1280.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    fits_width(page)
    page.screenshot(path="/tmp/retain-review-followed-up-390.png", full_page=True)

    review = BusinessReview.objects.get(account=account)
    assert review.status == ReviewStatus.FOLLOWED_UP and review.sentiment == "positive"
    assert (
        Commitment.objects.filter(plan__account=account, description="Train the sales team on workflows").count() == 1
    )
    assert Task.objects.filter(account=account, title="Train the sales team on workflows", owner=carol).count() == 1


def test_a_logged_out_customer_opens_the_review_link(
    transactional_db: None, live_server: Any, page: Any, charts: None, account: Account, carol: Member
) -> None:
    review = services.review_create(account=account, actor=carol, period="2026Q4")
    review = services.review_prepare(review=review, actor=carol)
    link, token = services.review_link_create(review=review, actor=carol)
    response = page.goto(f"{live_server.url}/r/{token}/")
    assert response.status == 200
    page.wait_for_selector(".vega-chart svg", timeout=WAIT)
    text = page.locator("body").inner_text()
    assert "Globex — business review 2026Q4" in text
    assert "Internal only" not in text and "Health score" not in text
    page.screenshot(path="/tmp/retain-review-link-1280.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    fits_width(page)
    page.screenshot(path="/tmp/retain-review-link-390.png", full_page=True)
    services.review_link_revoke(link=link, actor=carol)
    assert page.goto(f"{live_server.url}/r/{token}/").status == 404
