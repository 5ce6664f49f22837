"""What the home pages read: a CSM's "My book" and a manager's team overview.

A fixed number of queries whatever the size of the book (the tests count them for 10 and 200
accounts): every per-account fact comes from one annotated query or one grouped query, never a
query per row. Figures come from the selectors that own them (tasks, renewals, metrics.engine).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from retain.accounts.choices import EntryKind, Stage
from retain.accounts.figures import Figure, Period
from retain.accounts.models import Account, TimelineEntry
from retain.accounts.selectors import workspace_today
from retain.health.choices import Band
from retain.health.portfolio import GreenShare, latest_score
from retain.metrics import engine
from retain.renewals import selectors as renewal_selectors
from retain.renewals.models import Renewal
from retain.reports.choices import ReviewStatus
from retain.reports.models import BusinessReview
from retain.reports.selectors import qbr_coverage
from retain.tasks import selectors as task_selectors
from retain.tasks.models import Task
from retain.team import selectors
from retain.team.choices import CadenceStatus
from retain.team.selectors import RENEWAL_HORIZON_DAYS, CadenceRow
from retain.tenancy.models import Member, Workspace

NEWLY_RED_DAYS = 7
QBR_SOON_DAYS = 14  # a planned or prepared review whose day is this close (or past) is due


@dataclass(frozen=True)
class QbrDue:
    """A business review still to hold: its day is the meeting day, or the quarter's end when no
    meeting is set yet; overdue once that day has passed."""

    review: BusinessReview
    due_on: dt.date
    overdue: bool


@dataclass(frozen=True)
class BookAccount:
    id: int
    name: str
    tier: str
    stage: str
    arr: Decimal
    band: str | None
    score: float | None
    renewal_on: dt.date | None
    cadence: CadenceRow


@dataclass
class MyBook:
    member: Member
    today: dt.date
    accounts: list[BookAccount]
    overdue_tasks: list[Task]
    tasks_today: list[Task]
    renewals: list[Renewal]
    red: list[BookAccount]
    newly_red: list[BookAccount]
    qbrs_due: list[QbrDue] = field(default_factory=list)

    @property
    def arr(self) -> Decimal:
        return sum((a.arr for a in self.accounts), Decimal(0))

    @property
    def cadence_due(self) -> list[BookAccount]:
        due = (CadenceStatus.OVERDUE, CadenceStatus.NEVER, CadenceStatus.DUE_SOON)
        rows = [a for a in self.accounts if a.cadence.status in due]
        return sorted(rows, key=lambda a: (-a.cadence.overdue_days, a.name))


def my_book(workspace: Workspace, member: Member, *, today: dt.date | None = None) -> MyBook:
    """The member's book with health, ARR, next renewal and cadence; tasks; renewals; red accounts."""
    today = today or workspace_today(workspace)
    next_renewal = (
        Renewal.objects.filter(account=OuterRef("pk"), stage__in=renewal_selectors.OPEN_STAGES)
        .order_by("term_end")
        .values("term_end")[:1]
    )
    rows = list(
        Account.objects.filter(workspace=workspace, owner=member)
        .exclude(stage=Stage.CHURNED)
        .annotate(
            band=latest_score("band", today), score=latest_score("overall", today), renewal_on=Subquery(next_renewal)
        )
        .order_by("name", "pk")
        .values("pk", "name", "tier", "stage", "mrr", "band", "score", "renewal_on", "customer_since")
    )
    cadence = selectors.cadence_rows(
        workspace,
        [(r["pk"], r["tier"], r["stage"], r["customer_since"]) for r in rows],
        selectors.coverage_of(workspace),
        today,
    )
    accounts = [
        BookAccount(
            r["pk"], r["name"], r["tier"], r["stage"], r["mrr"] * 12, r["band"], r["score"], r["renewal_on"],
            cadence[r["pk"]],
        )
        for r in rows
    ]  # fmt: skip
    since = timezone.now() - dt.timedelta(days=NEWLY_RED_DAYS)
    turned_red = set(
        TimelineEntry.objects.filter(
            workspace=workspace,
            account__owner=member,
            kind=EntryKind.HEALTH_BAND_CHANGED,
            occurred_at__gte=since,
            data__band=Band.RED,
        ).values_list("account_id", flat=True)
    )
    tasks = task_selectors.my_tasks(member, today)
    renewals = list(
        renewal_selectors.open_renewals(workspace, horizon_days=RENEWAL_HORIZON_DAYS, owner=member.pk, today=today)
    )
    red = [a for a in accounts if a.band == Band.RED]
    return MyBook(
        qbrs_due=qbrs_due(workspace, member, today),
        member=member,
        today=today,
        accounts=accounts,
        overdue_tasks=tasks.overdue,
        tasks_today=tasks.due_today,
        renewals=renewals,
        red=red,
        newly_red=[a for a in red if a.id in turned_red],
    )


def qbrs_due(workspace: Workspace, member: Member, today: dt.date) -> list[QbrDue]:
    """The member's planned or prepared reviews held (or to be held) within QBR_SOON_DAYS, or overdue:
    one query."""
    soon = today + dt.timedelta(days=QBR_SOON_DAYS)
    reviews = (
        BusinessReview.objects.filter(
            workspace=workspace,
            account__owner=member,
            status__in=(ReviewStatus.PLANNED, ReviewStatus.PREPARED),
        )
        .filter(Q(meeting_on__lte=soon) | Q(meeting_on__isnull=True, ends_on__lte=soon))
        .select_related("account")
    )
    rows = [QbrDue(r, r.meeting_on or r.ends_on, (r.meeting_on or r.ends_on) < today) for r in reviews]
    return sorted(rows, key=lambda q: (q.due_on, q.review.account.name))


# The manager's team page --------------------------------------------------------------------------


@dataclass
class TeamRow:
    member: Member
    max_accounts: int | None
    accounts: int = 0
    arr: Decimal = Decimal(0)
    green: int = 0
    scored: int = 0
    renewals_at_risk: int = 0
    overdue_tasks: int = 0
    cadence_expected: int = 0
    cadence_kept: int = 0
    attainment: Figure | None = None
    qbr_coverage: Figure | None = None
    overdue_accounts: list[int] = field(default_factory=list)

    @property
    def green_figure(self) -> Figure:
        value = self.green / self.scored if self.scored else None
        shown = f"{value:.0%}" if value is not None else "no scored accounts"
        return Figure(
            value,
            GreenShare.FORMULA,
            {"green": self.green, "scored": self.scored},
            f"% green = {self.green} / {self.scored} = {shown}",
        )

    @property
    def cadence_figure(self) -> Figure:
        value = self.cadence_kept / self.cadence_expected if self.cadence_expected else None
        shown = f"{value:.0%}" if value is not None else "no account expects a touch"
        return Figure(
            value,
            "Cadence compliance = accounts touched within their tier's cadence for their stage / accounts "
            "whose stage expects a personal touch (digital-only stages left out)",
            {"kept": self.cadence_kept, "expected": self.cadence_expected},
            f"Cadence compliance = {self.cadence_kept} / {self.cadence_expected} = {shown}",
        )


def team_overview(workspace: Workspace, *, today: dt.date | None = None) -> list[TeamRow]:
    """Per active CSM: book size and ARR, % green, NRR against the quota target, renewals at risk,
    overdue tasks, cadence compliance and QBR coverage (the health page's figure, per owner)."""
    today = today or workspace_today(workspace)
    coverage = selectors.coverage_of(workspace)
    csms = selectors.team_csms(workspace)
    rows = {m.pk: TeamRow(m, selectors.capacity_of(m, coverage)[0]) for m in csms}
    books = (
        Account.objects.filter(workspace=workspace, owner_id__in=list(rows))
        .exclude(stage=Stage.CHURNED)
        .annotate(band=latest_score("band", today))
        .values("owner_id")
        .annotate(
            n=Count("pk"),
            mrr=Sum("mrr"),
            green=Count("pk", filter=Q(band=Band.GREEN)),
            scored=Count("pk", filter=Q(band__in=(Band.GREEN, Band.YELLOW, Band.RED))),
        )
    )
    for book in books:
        row = rows[book["owner_id"]]
        row.accounts, row.arr = book["n"], (book["mrr"] or Decimal(0)) * 12
        row.green, row.scored = book["green"], book["scored"]
    at_risk = renewal_selectors.at_risk(workspace).order_by().values("owner_id").annotate(n=Count("pk"))
    for risk in at_risk:
        if risk["owner_id"] in rows:
            rows[risk["owner_id"]].renewals_at_risk = risk["n"]
    for load in task_selectors.owner_loads(workspace, today=today):
        if load.owner is not None and load.owner.pk in rows:
            rows[load.owner.pk].overdue_tasks = load.overdue
    live = Account.objects.filter(workspace=workspace, owner_id__in=list(rows)).exclude(stage=Stage.CHURNED)
    accounts = list(live.values_list("pk", "tier", "stage", "customer_since", "owner_id"))
    cadence = selectors.cadence_rows(workspace, [a[:4] for a in accounts], coverage, today)
    for pk, *_rest, owner_id in accounts:
        row, status = rows[owner_id], cadence[pk].status
        if status == CadenceStatus.DIGITAL:
            continue
        row.cadence_expected += 1
        if status in (CadenceStatus.ON_TRACK, CadenceStatus.DUE_SOON):
            row.cadence_kept += 1
        else:
            row.overdue_accounts.append(pk)
    coverage_by_owner = qbr_coverage(
        workspace, today=today, accounts=Account.objects.filter(owner_id__in=list(rows))
    ).by_owner
    for coverage_row in coverage_by_owner:
        if coverage_row.key and int(coverage_row.key) in rows:
            rows[int(coverage_row.key)].qbr_coverage = coverage_row.figure
    year = Period(dt.date(today.year, 1, 1), today, workspace.time_zone)
    for quota in engine.quota_attainment(workspace, year):
        if quota.member is not None and quota.member.pk in rows:
            rows[quota.member.pk].attainment = quota.attainment
    return list(rows.values())
