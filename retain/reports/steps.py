"""The playbook step "qbr": the next quarterly review of the account, created in
`planned` with its draft pack built, for the CSM to check, prepare and hold.

Registered with the playbooks' step registry in ReportsConfig.ready (playbooks sit below reports
and never import them). The review is for the quarter its meeting falls in; an account that has a
review for that quarter already is skipped, so a late or repeated run creates nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from retain.accounts.selectors import workspace_today
from retain.playbooks.definition import StepCleaner
from retain.playbooks.steps import Outcome, StepInput, skipped
from retain.reports import periods, services
from retain.reports.models import BusinessReview

# StepRun.kind holds at most 10 characters.
KIND = "qbr"
KEYS = ("due_in_days",)
VIA = "playbook"


def clean(c: StepCleaner, raw: dict[str, Any], path: str) -> dict[str, Any]:
    return {"due_in_days": c.integer(raw, "due_in_days", path, low=0, high=180, default=14)}


def describe(options: Mapping[str, Any]) -> str:
    return f"business review planned in {options['due_in_days']} days, with its draft pack"


def run(inp: StepInput) -> Outcome:
    account = inp.account
    today = workspace_today(account.workspace)
    meeting_on = today + dt.timedelta(days=inp.options["due_in_days"])
    quarter = periods.quarter_of(meeting_on)
    existing = BusinessReview.objects.filter(account=account, period=quarter.name).first()
    if existing is not None:
        return skipped(f"{account.name} has a review for {quarter.name} already", review=existing.pk)
    review = services.review_create(account=account, actor=None, period=quarter.name, meeting_on=meeting_on)
    services.review_draft(review=review, actor=None, today=today)
    return Outcome(
        result={"review": review.pk, "period": quarter.name}, summary=f"business review {quarter.name} planned"
    )
