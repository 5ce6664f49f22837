"""Achievement in Chromium: Carol sees, on the account's journey card, the share of the year's lead and
new-sales goals the customer reached and the level of effort it took; Jane sees the same on the
portal's critical path. Screenshots at 1280 and 390 px wide go to /work/shots/portal/."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from retain.accounts import services as account_services
from retain.accounts.models import Account, Contact
from retain.journeys.models import MilestoneProgress
from retain.journeys.services import journey_start, journeys_advance
from retain.journeys.tests.test_achievement import _goals
from retain.portal import services
from retain.portal.tests.conftest import link_from_outbox
from retain.tenancy.models import Member
from retain.usage.models import DailyAccountUsage
from retain.web.tests.browser import fits_width, log_in
from retain.web.tests.browser import page as page  # Debian's Chromium through Playwright

SHOTS = Path("/work/shots/portal") if Path("/work/shots").is_dir() else Path("/tmp")
WIDTHS = (1280, 390)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


def _shoot(page: Any, selector: str, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        fits_width(page, f"{name} at {width} px")
        page.locator(selector).screenshot(path=str(SHOTS / f"achievement-{name}-{width}.png"))
    page.set_viewport_size({"width": 1280, "height": 900})


def test_achievement_shows_its_share_of_the_goals_and_the_effort_to_the_team_and_the_customer(
    transactional_db: None, live_server: Any, page: Any, settings: Any, globex: Account, jane: Contact, carol: Member
) -> None:
    settings.SITE_URL = live_server.url
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    today = dt.date.today()
    started = today - dt.timedelta(weeks=30)
    journey_start(account=globex, started_on=started, plan_onboarding=False)
    _goals(globex, leads=400, sales=40)
    for offset in range(150):  # 300 leads and 30 sales, two leads a day and a sale every fifth day
        DailyAccountUsage.objects.create(
            workspace_id=globex.workspace_id, account=globex, day=started + dt.timedelta(days=offset), events=3,
            key_events={"Lead Created": 2, **({"Lead Converted": 1} if offset % 5 == 0 else {})},
        )  # fmt: skip
    for weeks, summary in ((2, "Kick-off call"), (6, "Lead form review"), (20, "Quarterly business review")):
        account_services.touchpoint_log(
            account=globex, actor=carol, via="test", kind="meeting", summary=summary,
            occurred_at=timezone.make_aware(dt.datetime.combine(started + dt.timedelta(weeks=weeks), dt.time(10))),
        )  # fmt: skip
    journeys_advance(workspace=globex.workspace, today=today)
    achievement = MilestoneProgress.objects.get(account=globex, key="achievement")
    # Reached on the 100th day, the day the 200th lead came in (the 20th sale came on the 96th).
    assert achievement.completed_on == started + dt.timedelta(days=99)

    log_in(page, live_server, carol)
    page.goto(f"{live_server.url}/w/{globex.workspace.slug}/accounts/{globex.pk}/")
    row = page.locator(f"#milestone-{achievement.pk}")
    row.wait_for()
    text = row.inner_text()
    assert "leads to date 200 = 50% of the goal of 400" in text
    assert "new sales to date 20 = 50% of the goal of 40" in text
    # The touchpoints up to the day it was reached: the one after it does not count.
    assert "Level of effort: 2 touchpoints and 0 tasks done since" in text
    _shoot(page, "#journey", "account-journey")

    page.context.clear_cookies()  # Jane, in no session, follows a sign-in link
    services.contact_invite(contact=jane, actor=carol)
    raw = link_from_outbox(jane)
    page.goto(f"{live_server.url}/portal/sign-in/{raw}/")
    page.click("#sign-in-link button[type=submit]")
    page.wait_for_url(f"{live_server.url}/portal/")
    page.goto(f"{live_server.url}/portal/path/")
    item = page.locator("li[data-milestone=achievement]")
    item.wait_for()
    text = item.inner_text()
    assert "leads to date 200 = 50% of the goal of 400" in text and "new sales to date 20" in text
    assert "Level of effort:" in text
    _shoot(page, "#milestones", "portal-path")
    assert errors == []
