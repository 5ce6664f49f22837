"""What sets a playbook off, as occurrences: (account, occurrence key, due instant, why).

Three kinds, each with its own occurrence key, so that an occurrence is the same row however
often, or by however many processes, it is computed:

- time: "due:<day>" — N days after the first subscription start, customer since, the day the
  account entered a stage, or the day its renewal window opened (term end minus the workspace's
  window for the account's tier, the rule accounts.services.renewal_windows_open applies); with
  every_days, again every N days after that.
- data: "edge:<day>" — the day the condition turned from false to true (held for hold_hours).
- event: "entry:<id>" — the timeline fact.

The functions here only read. playbooks.engine decides which occurrences are new and writes them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Min

from retain.accounts.choices import EntryKind, SubscriptionStatus
from retain.accounts.models import Account, Subscription, TimelineEntry
from retain.lib.conditions import Condition
from retain.lib.dates import start_of_day
from retain.playbooks.choices import TimeFrom
from retain.playbooks.snapshot import Snapshot, entry_attrs
from retain.tenancy.models import Workspace


@dataclass(frozen=True)
class Firing:
    """One trigger firing for one account, before audience, conditions and limits are applied."""

    account_id: int
    occurrence_key: str
    due_at: dt.datetime
    reason: str
    day: dt.date
    extra: dict[str, Any] = field(default_factory=dict)  # entry attributes, the entry id


def days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


# Time ----------------------------------------------------------------------------------------------


Bases = dict[int, list[dt.date]]


def bases(workspace: Workspace, trigger: dict[str, Any]) -> Bases:
    """The day(s) each account of the workspace starts its clock from, for the trigger's origin."""
    origin = trigger["from"]
    bases: Bases = {}
    if origin == TimeFrom.SUBSCRIPTION_START:
        firsts = (
            Subscription.objects.filter(workspace=workspace)
            .values("account_id")
            .annotate(first=Min("started_on"))
            .values_list("account_id", "first")
        )
        bases = {account_id: [first] for account_id, first in firsts}
    elif origin == TimeFrom.CUSTOMER_SINCE:
        rows = Account.objects.filter(workspace=workspace, customer_since__isnull=False).values_list(
            "pk", "customer_since"
        )
        bases = {pk: [since] for pk, since in rows if since is not None}
    elif origin == TimeFrom.STAGE_ENTRY:
        rows = Account.objects.filter(
            workspace=workspace, stage=trigger["stage"], stage_entered_on__isnull=False
        ).values_list("pk", "stage_entered_on")
        bases = {pk: [entered] for pk, entered in rows if entered is not None}
    elif origin == TimeFrom.RENEWAL_WINDOW:
        terms = Subscription.objects.filter(workspace=workspace, status=SubscriptionStatus.ACTIVE).values_list(
            "account_id", "account__tier", "term_end"
        )
        for account_id, tier, term_end in terms:
            opens_on = term_end - dt.timedelta(days=workspace.renewal_window_days(tier))
            bases.setdefault(account_id, []).append(opens_on)
    return bases


def bases_key(trigger: dict[str, Any]) -> tuple[str, str]:
    """Triggers with the same key count from the same days (a scan reads them once)."""
    return trigger["from"], trigger.get("stage", "")


def time_firings(
    workspace: Workspace,
    trigger: dict[str, Any],
    account_ids: Collection[int] | None,
    start: dt.date,
    end: dt.date,
    known_bases: Bases | None = None,
) -> list[Firing]:
    """Every due day in [start, end] for the accounts given (None: every account)."""
    after = dt.timedelta(days=trigger.get("after_days", 0))
    every = trigger.get("every_days")
    label = TimeFrom(trigger["from"]).label.lower()
    firings = []
    found = known_bases if known_bases is not None else bases(workspace, trigger)
    wanted = None if account_ids is None else set(account_ids)
    for account_id, days_from in found.items():
        if wanted is not None and account_id not in wanted:
            continue
        for base in days_from:
            first = base + after
            due_days = []
            if every:
                # The first repetition on or after `start`, then every `every` days up to `end`.
                due = first + dt.timedelta(days=every * max(0, math.ceil((start - first).days / every)))
                while due <= end:
                    due_days.append(due)
                    due += dt.timedelta(days=every)
            else:
                due_days.append(first)
            for due in due_days:
                if start <= due <= end:
                    reason = f"{(due - base).days} days after {label} ({base.isoformat()})"
                    firings.append(
                        Firing(
                            account_id, f"due:{due.isoformat()}", start_of_day(due, workspace.time_zone), reason, due
                        )
                    )
    return firings


# Data ----------------------------------------------------------------------------------------------


def hold_days(hold_hours: int) -> int:
    """Day-by-day replays count a hold in whole days: 24 hours is one more day of holding."""
    return math.ceil(hold_hours / 24)


def data_firings_replay(
    condition: Condition,
    hold_hours: int,
    snapshots_by_day: Iterable[tuple[dt.date, dict[int, Snapshot]]],
    initial: Mapping[int, dt.date | None],
    fired: set[int],
    workspace: Workspace,
) -> list[tuple[Firing, Snapshot]]:
    """False → true edges found by evaluating the condition day by day, with the day's snapshot.

    `initial` holds, per account, the day its condition became true before the replay starts (None:
    it was false); `fired` the accounts whose current edge has already fired.
    """
    since: dict[int, dt.date | None] = dict(initial)
    done = set(fired)
    hold = hold_days(hold_hours)
    firings = []
    for day, snapshots in snapshots_by_day:
        for account_id, snap in snapshots.items():
            if not condition.evaluate(snap):
                since[account_id] = None
                done.discard(account_id)
                continue
            became = since.get(account_id) or day
            since[account_id] = became
            if account_id in done or (day - became).days < hold:
                continue
            done.add(account_id)
            reason = f"{condition.describe()} since {became.isoformat()}"
            firing = Firing(
                account_id, f"edge:{became.isoformat()}", start_of_day(day, workspace.time_zone), reason, day
            )
            firings.append((firing, snap))
    return firings


# Events --------------------------------------------------------------------------------------------


ENTRY_FIELDS = (
    "id", "account_id", "kind", "summary", "data", "occurred_at", "created_at",
    "contact__role", "contact__email", "contact__status",
)  # fmt: skip


def event_entries(workspace: Workspace, kind: str) -> Any:
    """The timeline facts of a kind, as plain rows (a scan may read thousands)."""
    return TimelineEntry.objects.filter(workspace=workspace, kind=kind).order_by("id").values(*ENTRY_FIELDS)


def event_firing(entry: dict[str, Any], day: dt.date) -> Firing:
    reason = f"{EntryKind(entry['kind']).label}: {entry['summary']}"
    return Firing(
        entry["account_id"], f"entry:{entry['id']}", entry["occurred_at"], reason[:500], day, extra=entry_attrs(entry)
    )
