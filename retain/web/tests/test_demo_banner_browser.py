"""The demo workspace says on every page that its data is synthetic; a real workspace never does.

The banner is one quiet line under the top bar, drawn from the workspace's `is_demo` flag (set only
by the demo builder). In Chromium at 1280 and 390 px it is readable and the page does not scroll
sideways; set SCREENSHOT_DIR to keep the screenshots.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from retain.accounts.models import Account
from retain.tenancy.models import Member, Workspace
from retain.web.tests.browser import fits_width, log_in
from retain.web.tests.browser import page as page  # Debian's Chromium through Playwright

BANNER = "Demo workspace."
PAGES = ("accounts/", "tasks/", "health/", "revenue/", "settings/")


def _as_demo(workspace: Workspace) -> None:
    Workspace.objects.filter(pk=workspace.pk).update(is_demo=True)


@pytest.mark.django_db
def test_every_page_of_the_demo_workspace_has_the_banner(
    client: Client, workspace: Workspace, alice: Member, account: Account
) -> None:
    _as_demo(workspace)
    client.force_login(alice.user)
    for path in (*PAGES, f"accounts/{account.pk}/"):
        response = client.get(f"/w/{workspace.slug}/{path}")
        assert response.status_code == 200, path
        assert BANNER in response.content.decode(), path


@pytest.mark.django_db
def test_a_real_workspace_has_no_banner_and_an_outsider_sees_nothing_of_the_demo(
    client: Client, workspace: Workspace, other_workspace: Workspace, alice: Member, olga: Member
) -> None:
    _as_demo(other_workspace)
    client.force_login(alice.user)
    for path in PAGES:
        response = client.get(f"/w/{workspace.slug}/{path}")
        assert response.status_code == 200, path
        assert BANNER not in response.content.decode(), path
    client.force_login(olga.user)
    response = client.get(f"/w/{workspace.slug}/accounts/")
    assert response.status_code == 404
    assert BANNER not in response.content.decode()


def test_only_the_demo_builder_marks_a_workspace_as_demo(db: None, workspace: Workspace) -> None:
    from retain.tenancy.services import WORKSPACE_FIELDS

    assert workspace.is_demo is False
    assert "is_demo" not in WORKSPACE_FIELDS  # not a setting an admin can switch on or off


@pytest.mark.browser
@pytest.mark.timeout(120)
def test_the_banner_is_readable_at_1280_and_390_px_without_sideways_scroll(
    transactional_db: None, live_server: Any, page: Any, tmp_path: Path, workspace: Workspace, alice: Member,
    account: Account,
) -> None:  # fmt: skip
    _as_demo(workspace)
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    # The live server's first answer imports and compiles what the pages need: slow on a busy machine.
    page.goto(f"{live_server.url}/login/", timeout=60_000)
    log_in(page, live_server, alice)
    for name, (width, height) in {"laptop": (1280, 800), "phone": (390, 844)}.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}/w/{workspace.slug}/accounts/{account.pk}/")
        banner = page.locator(".demo-banner")
        assert banner.is_visible()
        assert BANNER in banner.inner_text()
        box = banner.bounding_box()
        assert box is not None and box["width"] <= width
        # Unobtrusive: a line on a laptop, a few short lines on a phone, never most of the screen.
        assert box["height"] <= (40 if name == "laptop" else 120), (name, box)
        fits_width(page, name)
        assert page.evaluate("parseFloat(getComputedStyle(document.querySelector('.demo-banner')).fontSize)") >= 12
        page.screenshot(path=str(folder / f"demo-banner-{name}.png"), full_page=False)
