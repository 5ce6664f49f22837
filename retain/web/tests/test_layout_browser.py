"""Every top-level page in Chromium at 1280 px (a laptop) and 390 px (a phone): none scrolls sideways.

The pages show a small demo workspace (the generator's own data: real names, long tables), seen by a
CSM with tasks. Each page is screenshotted; set SCREENSHOT_DIR to a folder to keep them (they go
to the test's temporary folder otherwise). A page wider than the window fails the test, naming the
elements that stick out. The top bar's menus are <details>, so they open without any script: the
shared page fixture fails the test if the Content-Security-Policy blocked anything.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Count

from retain.accounts.models import Account
from retain.demo.generator import STEPS, build_demo
from retain.demo.generator.context import DEMO_PASSWORD, DEMO_SLUG
from retain.tasks.choices import TaskKind
from retain.tasks.models import Task
from retain.tasks.services import task_create
from retain.tenancy.choices import Role
from retain.tenancy.models import Member
from retain.web.tests.browser import fits_width
from retain.web.tests.browser import page as page  # Debian's Chromium through Playwright

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

WIDTHS = {"laptop": (1280, 800), "phone": (390, 844)}


@pytest.fixture
def demo(transactional_db: None) -> Iterator[None]:
    """A small demo workspace; the churn model is left out (training it is most of a minute).

    The CSM whose pages are shown gets a day's work on top: tasks overdue, today and later, one
    with a long title and a checklist, as My tasks shows them on a phone.
    """
    build_demo(seed=7, size=20, raw_days=5, steps=[step for step in STEPS if step.name != "churn model"])
    csm = busiest_csm()
    today = dt.date.today()
    for n, account in enumerate(Account.objects.filter(owner=csm).order_by("name")[:4]):
        task_create(
            account=account,
            owner=csm,
            title=f"Call {account.name} about the renewal and the executive sponsor's open questions",
            kind=TaskKind.CALL,
            due_on=today + dt.timedelta(days=n * 3 - 2),
            checklist=["Read the last QBR pack", "Confirm the decision maker"] if n == 0 else (),
            actor=csm,
            via="test",
        )
    yield


def busiest_csm() -> Member:
    """The demo CSM with the biggest book: the one whose pages are fullest."""
    csm = (
        Member.objects.filter(workspace__slug=DEMO_SLUG, role=Role.CSM)
        .annotate(accounts=Count("book", distinct=True))
        .order_by("-accounts", "pk")
        .first()
    )
    assert csm is not None, "the demo has CSMs"
    return csm


def log_in(page: Any, base: str, member: Member) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", member.user.get_username())
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(rf"/w/{DEMO_SLUG}/"))


def top_level_pages(csm: Member) -> list[tuple[str, str]]:
    account = Account.objects.filter(owner=csm).annotate(n=Count("contacts")).order_by("-n", "pk").first()
    assert account is not None, "the busiest CSM has a book"
    task = Task.objects.filter(owner=csm).order_by("pk").first()
    w = f"/w/{DEMO_SLUG}"
    pages = [
        ("accounts", f"{w}/accounts/"),
        ("account", f"{w}/accounts/{account.pk}/"),
        ("tasks", f"{w}/tasks/"),
        ("journeys", f"{w}/journeys/"),
        ("health", f"{w}/health/"),
        ("risk", f"{w}/risk/"),
        ("retention", f"{w}/retention/"),
        ("playbooks", f"{w}/playbooks/"),
        ("renewals", f"{w}/renewals/"),
        ("expansion", f"{w}/expansion/"),
        ("revenue", f"{w}/revenue/"),
        ("leadership", f"{w}/leadership/"),
        ("books", f"{w}/books/"),
        ("book", f"{w}/books/{csm.pk}/"),
        ("messages", f"{w}/messages/"),
        ("surveys", f"{w}/surveys/"),
        ("inbound-slack", f"{w}/inbound/slack/"),
        ("segments", f"{w}/segments/"),
        ("imports", f"{w}/imports/"),
        ("settings", f"{w}/settings/"),
        ("search", f"{w}/search/?q={account.name.split()[0]}"),
        ("not-found", f"{w}/no-such-page/"),
    ]
    if task is not None:
        pages.insert(3, ("task", f"{w}/tasks/{task.pk}/"))
    return pages


def screenshot_folder(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_no_page_scrolls_sideways_at_1280_or_390_px(demo: None, live_server: Any, page: Any, tmp_path: Path) -> None:
    folder = screenshot_folder(tmp_path)
    csm = busiest_csm()
    log_in(page, live_server.url, csm)
    pages = top_level_pages(csm)
    too_wide: list[str] = []
    for width, height in WIDTHS.values():
        page.set_viewport_size({"width": width, "height": height})
        for name, path in pages:
            response = page.goto(live_server.url + path)
            assert response.status == (404 if name == "not-found" else 200), f"{path}: {response.status}"
            page.wait_for_load_state("load")
            page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
            try:
                fits_width(page, f"{path} at {width} px", timeout=5_000)
            except AssertionError as error:
                too_wide.append(str(error))
    assert not too_wide, "pages scroll sideways:\n" + "\n".join(too_wide)


def test_the_top_bar_menus_and_search_work_on_a_phone(demo: None, live_server: Any, page: Any, tmp_path: Path) -> None:
    folder = screenshot_folder(tmp_path)
    csm = busiest_csm()
    log_in(page, live_server.url, csm)
    page.set_viewport_size({"width": WIDTHS["phone"][0], "height": WIDTHS["phone"][1]})
    # A menu opens by its summary (no script needed), its links lead on, and the page's menu is marked.
    renewals = page.locator(".navgroup-panel a", has_text="Renewals")
    assert not renewals.is_visible()
    page.click("summary:has-text('Revenue')")
    renewals.wait_for(state="visible")
    page.screenshot(path=str(folder / "menu-open-390.png"))
    page.click("summary:has-text('Success')")  # opening another closes the first
    renewals.wait_for(state="hidden")
    page.click(".navgroup-panel a:has-text('Health')")
    page.wait_for_url(re.compile(r"/health/$"))
    assert page.locator("summary.current").inner_text() == "Success"
    # Search as you type: the results drop under the box; Enter opens the search page.
    account = Account.objects.filter(workspace__slug=DEMO_SLUG).order_by("name").first()
    assert account is not None
    page.fill("#topsearch-q", account.name)
    result = page.locator("#topsearch-results a", has_text=account.name).first
    result.wait_for(state="visible")
    box = page.locator("#topsearch-results").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTHS["phone"][0]
    page.screenshot(path=str(folder / "search-as-you-type-390.png"))
    page.press("#topsearch-q", "Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))
    page.locator(".search-results-page a", has_text=account.name).first.click()
    page.wait_for_url(re.compile(rf"/accounts/{account.pk}/$"))
    # The user menu holds log out.
    page.click(".usermenu summary")
    page.screenshot(path=str(folder / "user-menu-390.png"))
    page.click(".usermenu button:has-text('Log out')")
    page.wait_for_url(re.compile(r"/login/"))


def test_the_top_bar_menus_and_search_on_a_laptop(demo: None, live_server: Any, page: Any, tmp_path: Path) -> None:
    folder = screenshot_folder(tmp_path)
    log_in(page, live_server.url, busiest_csm())
    page.set_viewport_size({"width": WIDTHS["laptop"][0], "height": WIDTHS["laptop"][1]})
    page.click("summary:has-text('Revenue')")
    books = page.locator(".navgroup-panel a", has_text=re.compile(r"^Books$"))
    books.wait_for(state="visible")
    page.screenshot(path=str(folder / "menu-open-1280.png"))
    page.click("h1")  # a click elsewhere closes the menu
    books.wait_for(state="hidden")
    page.fill("#topsearch-q", "a")
    page.locator("#topsearch-results .search-group").first.wait_for(state="visible")
    page.screenshot(path=str(folder / "search-as-you-type-1280.png"))
    page.press("#topsearch-q", "Escape")
    page.locator("#topsearch-results").wait_for(state="hidden")
