"""The API reference: Swagger UI, vendored at set-up, draws every operation under the CSP.

The shared page fixture fails the test if Chromium reports anything the policy blocked.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from retain.tenancy.models import Member
from retain.web.tests.browser import VENDOR, log_in, skip_or_fail
from retain.web.tests.browser import page as page  # Debian's Chromium through Playwright

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


@pytest.fixture
def swagger_ui() -> None:
    missing = [name for name in ("swagger-ui-bundle.js", "swagger-ui.css") if not (VENDOR / name).exists()]
    if missing:
        skip_or_fail(f"{', '.join(missing)} not in {VENDOR} (run make assets)")


def test_the_api_tokens_page_links_a_reference_that_draws_every_operation_from_this_site_only(
    transactional_db: None, live_server: Any, page: Any, alice: Member, swagger_ui: None
) -> None:
    elsewhere: list[str] = []
    page.on(
        "request", lambda request: None if request.url.startswith(live_server.url) else elsewhere.append(request.url)
    )
    log_in(page, live_server, alice)
    page.wait_for_url(re.compile(r"/w/acme/"))
    page.goto(f"{live_server.url}/w/acme/api-tokens/")
    page.click("a[data-api-reference]")
    page.wait_for_url(f"{live_server.url}/api/docs/")
    operations = page.locator("#api-reference .opblock")
    operations.first.wait_for(state="visible")
    # Swagger UI draws only the operations near the viewport (a virtual list): scroll through the
    # reference and collect every path it draws on the way down.
    paths: set[str] = set()
    for _ in range(400):
        found = page.locator("#api-reference .opblock-summary-path").all_inner_texts()
        paths |= {text.strip().replace("\u200b", "") for text in found}
        if page.evaluate("window.scrollY + window.innerHeight >= document.scrollingElement.scrollHeight - 2"):
            break
        before = page.evaluate("window.scrollY")
        page.mouse.wheel(0, 600)
        page.wait_for_function("(before) => window.scrollY > before", arg=before, timeout=5_000)
    assert {"/api/v1/accounts/", "/api/v1/accounts/{id}/", "/api/v1/tasks/"} <= paths
    assert len(paths) >= 50
    # An operation opens to show its parameters and answers.
    page.evaluate("window.scrollTo(0, 0)")
    page.locator('#api-reference .opblock-get [data-path="/api/v1/accounts/{id}/"]').first.click()
    page.locator("#api-reference .opblock.is-open .responses-wrapper").first.wait_for(state="visible")
    assert elsewhere == []


def test_the_reference_is_public_like_the_schema(
    transactional_db: None, live_server: Any, page: Any, swagger_ui: None
) -> None:
    response = page.goto(f"{live_server.url}/api/docs/")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.locator("#api-reference .opblock").first.wait_for(state="visible")


def test_the_vendored_bundle_is_not_committed() -> None:
    ignored = (Path(__file__).resolve().parents[3] / ".gitignore").read_text()
    assert "/retain/web/static/vendor/" in ignored
