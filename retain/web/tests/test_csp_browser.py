"""Alpine under the Content-Security-Policy: its CSP build runs the survey form's schedule fields.

The shared page fixture fails the test if Chromium reports anything the policy blocked.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from retain.tenancy.models import Member
from retain.web.tests.browser import log_in
from retain.web.tests.browser import page as page  # Debian's Chromium through Playwright

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


def test_the_survey_form_shows_the_fields_its_schedule_needs(
    transactional_db: None, live_server: Any, page: Any, mark: Member
) -> None:
    log_in(page, live_server, mark)
    page.wait_for_url(re.compile(r"/w/acme/"))
    response = page.goto(f"{live_server.url}/w/acme/surveys/new/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    days, event = page.locator("#id_schedule_days"), page.locator("#id_trigger_kind")
    days.wait_for(state="visible")  # before renewal, the initial choice, asks for days
    assert not event.is_visible()
    page.select_option("#id_schedule_kind", "after_event")
    event.wait_for(state="visible")
    assert not days.is_visible()
    page.select_option("#id_schedule_kind", "manual")
    event.wait_for(state="hidden")
    assert not days.is_visible()
