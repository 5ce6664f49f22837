"""What every browser test shares: Debian's Chromium through Playwright, the chart libraries, logging in.

Chromium is /usr/bin/chromium (never a downloaded browser). A missing browser or missing vendored
chart libraries skip the test with the reason, except under CI=true, where they are a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from conftest import PASSWORD
from retain.tenancy.models import Member

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
VENDOR = Path(__file__).resolve().parents[1] / "static" / "vendor"
CHART_LIBRARIES = ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js")

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still
# plain synchronous code, so Django's guard against ORM use inside a loop does not apply.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
# The live server listens on the loopback address only, on a port the system picks.
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1:0")


def skip_or_fail(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def page() -> Iterator[Any]:
    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        tab = context.new_page()
        tab.set_default_timeout(15_000)
        # Chromium reports what the Content-Security-Policy blocked (an inline script, an eval in a
        # library) on the console: every browser test fails on such a report.
        refusals: list[str] = []
        tab.on(
            "console",
            lambda message: refusals.append(message.text) if "Content Security Policy" in message.text else None,
        )
        try:
            yield tab
            assert not refusals, f"the Content-Security-Policy blocked: {refusals}"
        finally:
            context.close()
            browser.close()
            # While Playwright's loop runs, Django hands this thread's ORM calls a connection of
            # their own; close it, or PostgreSQL refuses to drop the test database afterwards.
            connections.close_all()


@pytest.fixture
def charts() -> None:
    """The vendored Vega libraries that draw the charts (`make assets` copies them)."""
    missing = [name for name in CHART_LIBRARIES if not (VENDOR / name).exists()]
    if missing:
        skip_or_fail(f"{', '.join(missing)} not in {VENDOR} (run make assets)")


def log_in(page: Any, live_server: Any, member: Member) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", member.user.get_username())
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


# The elements wider than the window, widest first, for the failure message (those inside a box
# that scrolls or clips sideways are left out: they do not widen the page).
STICKING_OUT = """() => {
  const width = window.innerWidth;
  const found = [];
  const clipped = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") return true;
    }
    return false;
  };
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 0.5 && box.width > 0 && !clipped(el)) {
      const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
        (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "");
      found.push([Math.round(box.right), name]);
    }
  }
  found.sort((a, b) => b[0] - a[0]);
  return found.slice(0, 4).map(([right, name]) => `${name} (to ${right}px)`);
}"""
FITS = "() => document.scrollingElement.scrollWidth <= window.innerWidth + 1"
WIDTHS = "() => [document.scrollingElement.scrollWidth, window.innerWidth]"


def fits_width(page: Any, label: str = "the page", timeout: float = 10_000) -> tuple[int, int]:
    """Wait until `page` scrolls no wider than its viewport; fail naming the widths and what sticks out.

    A wait, not a single read: after `set_viewport_size` the browser lays the page out again and
    charts (vega-embed's `width: "container"`) redraw from a resize listener, so a read right after
    the resize can still see the old, wider layout on a loaded machine.
    """
    try:
        page.wait_for_function(FITS, timeout=timeout)
    except Exception as error:  # Playwright's TimeoutError: report the layout, not the wait
        scroll, inner = page.evaluate(WIDTHS)
        culprits = ", ".join(page.evaluate(STICKING_OUT))
        raise AssertionError(f"{label} is {scroll} px wide at {inner} px: {culprits}") from error
    scroll, inner = page.evaluate(WIDTHS)
    return int(scroll), int(inner)
