"""The churn-risk page of a small workspace in Chromium at 1280 and 390 px: its model trains but is
below the quality gate, so no account has a score, and the page says why and what data is missing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from retain.metrics.cohorts import add_months
from retain.risk.choices import RunStatus
from retain.risk.models import ChurnRisk
from retain.risk.services import churn_model_train
from retain.risk.tests.ledger import customer
from retain.tenancy.models import Member, Workspace
from retain.web.tests.browser import fits_width, log_in
from retain.web.tests.browser import page as page  # Debian's Chromium through Playwright

SCREENSHOTS = Path("/tmp/retain-risk-gate")
WIDTHS = {"laptop": (1280, 800), "phone": (390, 844)}

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


def test_a_small_workspace_gets_no_churn_scores_and_the_page_says_why(
    transactional_db: None, live_server: Any, page: Any, alice: Member, workspace: Workspace
) -> None:
    # 40 accounts a week apart; 13 small ones stop paying five months in.
    for i in range(40):
        started = dt.date(2025, 1, 1) + dt.timedelta(days=7 * i)
        if i % 3 == 1:
            customer(workspace, f"Small {i}", started=started, lost=add_months(started, 5), mrr=50, seats=1)
        else:
            customer(workspace, f"Large {i}", started=started, mrr=500, seats=10, tier="enterprise")
    run = churn_model_train(
        workspace=workspace, today=dt.date(2026, 11, 1), candidates=["logistic_regression"], folds=3
    )
    assert run.status == RunStatus.GATED and not ChurnRisk.objects.exists()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server, alice)
    SCREENSHOTS.mkdir(exist_ok=True)
    for name, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}/w/acme/risk/")
        notice = page.locator("#gated")
        assert notice.is_visible()
        assert "13 churned accounts; at least 30 needed" in notice.inner_text()
        assert "Churned accounts: 13 (at least 30). Missing: 17 more accounts" in notice.inner_text()
        assert page.locator("#risks").count() == 0 and page.locator("#model").is_visible()
        fits_width(page, name)
        page.screenshot(path=str(SCREENSHOTS / f"risk-gated-{width}.png"), full_page=True)
    assert errors == []
