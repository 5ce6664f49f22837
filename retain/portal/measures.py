"""Portal use as an engagement signal: sign-ins, ticks and questions.

Registered from PortalConfig.ready, like routing's and team's measures:
- with the health catalogue and health.measures (one aggregate query for many accounts, as of any
  day D), so scorecards can weigh them;
- with journeys (journeys.hooks.attr_provider_register), so a data milestone's criteria may read the
  same `portal.*` attributes;
- with the playbooks snapshot (`portal.*` attributes), so a playbook can act on "no portal visit in
  30 days during onboarding": `{and: [{attr: account.stage, op: eq, value: onboarding},
  {attr: portal.visits_30d, op: eq, value: 0}]}`.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Max, Q

from retain.health.catalogue import HIGHER_IS_HEALTHIER, LOWER_IS_HEALTHIER, RELATIONSHIP, MeasureKind, register
from retain.health.measures import Params, Scope, Values, register_query
from retain.journeys.hooks import attr_provider_register
from retain.lib.dates import local_day, start_of_day
from retain.lib.queries import MAX_IDS_IN_QUERY
from retain.playbooks.snapshot import Snapshot, provider_register
from retain.portal.choices import ActivityKind
from retain.portal.models import PortalActivity
from retain.tenancy.models import Workspace

VISITS = "portal_visits_30d"
ACTIONS = "portal_actions_30d"
DAYS_SINCE = "days_since_portal_visit"
DAYS = 30
ATTRS = ("portal.visits_30d", "portal.actions_30d", "portal.days_since_visit")


def _rows(workspace: Workspace, ids: list[int] | None, day: dt.date) -> dict[int, Values]:
    """{account_id: {VISITS, ACTIONS, DAYS_SINCE}} for accounts with any portal activity up to `day`."""
    zone = workspace.time_zone
    end = start_of_day(day + dt.timedelta(days=1), zone)
    start = start_of_day(day - dt.timedelta(days=DAYS - 1), zone)
    recent = Q(at__gte=start)
    rows = PortalActivity.objects.filter(workspace=workspace, at__lt=end)
    if ids is not None and len(ids) <= MAX_IDS_IN_QUERY:  # a long list reads the workspace instead
        rows = rows.filter(account_id__in=ids)
    found = rows.values("account_id").annotate(
        visits=Count("id", filter=recent & Q(kind=ActivityKind.SIGN_IN)),
        actions=Count("id", filter=recent & ~Q(kind=ActivityKind.SIGN_IN)),
        last=Max("at"),
    )
    return {
        row["account_id"]: {
            VISITS: float(row["visits"]),
            ACTIONS: float(row["actions"]),
            DAYS_SINCE: float((day - local_day(row["last"], zone)).days),
        }
        for row in found
    }


def portal_measures(scope: Scope, day: dt.date, params: Params) -> dict[int, Values]:
    ids = scope.ids if scope.ids is not None and len(scope.ids) <= 500 else None
    found = _rows(scope.workspace, ids, day)
    # No activity at all: no visits and no actions (zero), and no last visit (missing).
    return {pk: found.get(pk, {VISITS: 0.0, ACTIONS: 0.0, DAYS_SINCE: None}) for pk in scope.all_ids()}


def _parts(row: Values | None) -> tuple[int, int, int | None]:
    """(visits, actions, days since a visit or None) from a row of `_rows`, or for no activity."""
    if row is None:
        return 0, 0, None
    since = row[DAYS_SINCE]
    return int(row[VISITS] or 0), int(row[ACTIONS] or 0), None if since is None else int(since)


def add_to_snapshots(
    snapshots: dict[int, Snapshot], workspace: Workspace, wanted: set[int] | None, day: dt.date
) -> None:
    ids = sorted(wanted) if wanted is not None and len(wanted) <= 500 else None
    found = _rows(workspace, ids, day)
    for pk, snap in snapshots.items():
        visits, actions, since = _parts(found.get(pk))
        snap["portal.visits_30d"], snap["portal.actions_30d"] = visits, actions
        if since is not None:
            snap["portal.days_since_visit"] = since


def journey_values(workspace: Workspace, ids: list[int], day: dt.date) -> dict[int, dict[str, object]]:
    """The same attributes for journey milestones' criteria (journeys.hooks.attr_provider_register);
    an account that never used the portal has no visits and no actions, and no days since a visit."""
    found = _rows(workspace, ids, day)
    accounts = ids
    values: dict[int, dict[str, object]] = {}
    for pk in accounts:
        visits, actions, since = _parts(found.get(pk))
        values[pk] = {"portal.visits_30d": visits, "portal.actions_30d": actions}
        if since is not None:
            values[pk]["portal.days_since_visit"] = since
    return values


def _plural(value: float, one: str, many: str) -> str:
    return f"{round(value)} {one if round(value) == 1 else many}"


def register_measures() -> None:
    register(
        MeasureKind(
            kind=VISITS,
            name="Portal sign-ins",
            group=RELATIONSHIP,
            direction=HIGHER_IS_HEALTHIER,
            unit="sign-ins",
            doc=f"Sign-ins to the customer portal by the account's contacts in the {DAYS} calendar days "
            "ending D. Zero when nobody signed in.",
            words=lambda v, p: f"{_plural(v, 'portal sign-in', 'portal sign-ins')} in {DAYS} days",
            when_missing="no portal sign-in",
        )
    )
    register(
        MeasureKind(
            kind=ACTIONS,
            name="Portal actions",
            group=RELATIONSHIP,
            direction=HIGHER_IS_HEALTHIER,
            unit="ticks and questions",
            doc=f"Commitments and checklist items ticked, and questions asked, in the customer portal in "
            f"the {DAYS} calendar days ending D. Zero when there were none.",
            words=lambda v, p: f"{_plural(v, 'portal action', 'portal actions')} in {DAYS} days",
            when_missing="no portal action",
        )
    )
    register(
        MeasureKind(
            kind=DAYS_SINCE,
            name="Days since a portal visit",
            group=RELATIONSHIP,
            direction=LOWER_IS_HEALTHIER,
            unit="days",
            doc="Calendar days from the account's latest portal sign-in, tick or question on or before D "
            "to D (0: that day). Missing when nobody from the account ever used the portal.",
            words=lambda v, p: f"{_plural(v, 'day', 'days')} since the last portal visit",
            when_missing="never used the portal",
        )
    )
    register_query(portal_measures, (VISITS, ACTIONS, DAYS_SINCE))
    provider_register(ATTRS, add_to_snapshots)
    attr_provider_register(ATTRS, journey_values)
