"""Reads for the team: the coverage model in force, CSMs and their books, cadence. Every read
takes the workspace."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, Max, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from retain.accounts.choices import ContactRole, ContactStatus, Stage
from retain.accounts.figures import Figure
from retain.accounts.models import Account, Contact, Touchpoint
from retain.accounts.selectors import workspace_today
from retain.health.choices import Band
from retain.health.models import HealthScore
from retain.renewals.choices import OPEN_STAGES
from retain.renewals.models import Renewal
from retain.team import balancing
from retain.team.choices import CadenceStatus, Influence, Sentiment, SponsorRule
from retain.team.coverage import DEFAULT, Cadence, Coverage, clean_coverage
from retain.team.models import CoverageModel, Subsidiary
from retain.tenancy.choices import CapacityUnit, Role
from retain.tenancy.models import Member, Workspace

RENEWAL_HORIZON_DAYS = 90  # seed 002: the renewal process starts 90 days out
DUE_SOON_DAYS = 3


def coverage_of(workspace: Workspace) -> Coverage:
    """The workspace's coverage model, or the seeds' model when none is saved."""
    saved = CoverageModel.objects.filter(workspace=workspace).only("definition").first()
    return coverage_from(saved)


def coverage_from(saved: CoverageModel | None) -> Coverage:
    if saved is None:
        return DEFAULT
    return clean_coverage(saved.definition)


def team_csms(workspace: Workspace) -> list[Member]:
    """Active CSMs with a kind: the people coverage assigns and balances between."""
    return list(
        Member.objects.filter(workspace=workspace, role=Role.CSM, is_active=True)
        .exclude(csm_kind="")
        .select_related("user")
        .order_by("user__first_name", "user__email", "pk")
    )


def capacity_of(member: Member, coverage: Coverage) -> tuple[int | None, Decimal | None]:
    """(max accounts, max ARR) of a CSM: the tier's limits, the member's own capacity overriding
    the one in its unit."""
    tier = coverage.tier_of_kind(member.csm_kind)
    max_accounts = tier.max_accounts if tier else None
    max_arr = tier.max_arr if tier else None
    if member.capacity is not None and member.capacity_unit == CapacityUnit.ACCOUNTS:
        max_accounts = int(member.capacity)
    elif member.capacity is not None and member.capacity_unit == CapacityUnit.ARR:
        max_arr = member.capacity
    return max_accounts, max_arr


@dataclass(frozen=True)
class Fact:
    """What the balancing preview needs of one account."""

    id: int
    name: str
    owner_id: int | None
    arr: Decimal
    red: bool
    renewal_soon: bool


def account_facts(workspace: Workspace, owner_ids: Collection[int] | None = None) -> dict[int, Fact]:
    """Live accounts (of these owners) with ARR, red health and a renewal in the next 90 days: one query."""
    today = workspace_today(workspace)
    latest = HealthScore.objects.filter(account=OuterRef("pk")).order_by("-day", "-id")
    renewal_soon = Renewal.objects.filter(
        account=OuterRef("pk"),
        stage__in=OPEN_STAGES,
        term_end__lte=today + dt.timedelta(days=RENEWAL_HORIZON_DAYS),
    )
    rows = Account.objects.filter(workspace=workspace).exclude(stage=Stage.CHURNED)
    if owner_ids is not None:
        rows = rows.filter(owner_id__in=list(owner_ids))
    rows = rows.annotate(band=Subquery(latest.values("band")[:1]), soon=Exists(renewal_soon))
    return {
        r["pk"]: Fact(r["pk"], r["name"], r["owner_id"], r["mrr"] * 12, r["band"] == Band.RED, r["soon"])
        for r in rows.values("pk", "name", "owner_id", "mrr", "band", "soon")
    }


@dataclass
class BookFigures:
    """One CSM's book before or after a plan: accounts, ARR, red accounts, renewals in 90 days."""

    accounts: int = 0
    arr: Decimal = Decimal(0)
    red: int = 0
    renewals_90d: int = 0

    def add(self, fact: Fact, sign: int = 1) -> None:
        self.accounts += sign
        self.arr += sign * fact.arr
        self.red += sign * int(fact.red)
        self.renewals_90d += sign * int(fact.renewal_soon)


@dataclass
class PreviewRow:
    member: Member
    max_accounts: int | None
    max_arr: Decimal | None
    before: BookFigures
    after: BookFigures

    @property
    def within_capacity_after(self) -> bool:
        return (self.max_accounts is None or self.after.accounts <= self.max_accounts) and (
            self.max_arr is None or self.after.arr <= self.max_arr
        )


def preview(
    workspace: Workspace,
    csms: Sequence[Member],
    facts: dict[int, Fact],
    moves: Iterable[tuple[int, int, int]],
    coverage: Coverage,
) -> list[PreviewRow]:
    """Before/after per CSM for moves given as (account, from owner, to owner)."""
    rows = {m.pk: PreviewRow(m, *capacity_of(m, coverage), before=BookFigures(), after=BookFigures()) for m in csms}
    for fact in facts.values():
        if fact.owner_id in rows:
            rows[fact.owner_id].before.add(fact)
            rows[fact.owner_id].after.add(fact)
    for account, old, new in moves:
        moved = facts.get(account)
        if moved is None:
            continue
        if old in rows:
            rows[old].after.add(moved, -1)
        if new in rows:
            rows[new].after.add(moved)
    return list(rows.values())


def balancing_input(
    workspace: Workspace, csms: Sequence[Member], facts: dict[int, Fact], coverage: Coverage
) -> tuple[list[balancing.Csm], list[balancing.Item]]:
    people = [balancing.Csm(m.pk, m.display_name, m.csm_kind, *capacity_of(m, coverage)) for m in csms if m.csm_kind]
    items = [
        balancing.Item(f.id, f.owner_id, f.arr, f.red, f.renewal_soon) for f in facts.values() if f.owner_id is not None
    ]
    return people, items


# Loads for assignment -----------------------------------------------------------------------------


def loads(workspace: Workspace) -> dict[int, tuple[int, Decimal]]:
    """(live accounts, ARR) per owner: one grouped query."""
    rows = (
        Account.objects.filter(workspace=workspace, owner__isnull=False)
        .exclude(stage=Stage.CHURNED)
        .values("owner_id")
        .annotate(n=Count("pk"), mrr=Sum("mrr"))
    )
    return {r["owner_id"]: (r["n"], (r["mrr"] or Decimal(0)) * 12) for r in rows}


# Cadence ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CadenceRow:
    """An account's last touch against what its tier expects in its stage."""

    account_id: int
    expected: Cadence | None
    last_touch: dt.date | None
    status: str
    days_since: int | None
    due_on: dt.date | None

    @property
    def status_label(self) -> str:
        return str(CadenceStatus(self.status).label)

    @property
    def overdue_days(self) -> int:
        if self.status == CadenceStatus.NEVER and self.expected and self.expected.every_days:
            return self.expected.every_days
        if self.status != CadenceStatus.OVERDUE or self.due_on is None or self.days_since is None:
            return 0
        return self.days_since - (self.expected.every_days if self.expected and self.expected.every_days else 0)


def cadence_rows(
    workspace: Workspace,
    accounts: Iterable[tuple[int, str, str, dt.date | None]],
    coverage: Coverage,
    today: dt.date,
) -> dict[int, CadenceRow]:
    """Cadence of (id, tier, stage, customer_since) accounts: one grouped touchpoint query."""
    accounts = list(accounts)
    # By account, then touch kind: a row reads its own account's touches, never the whole book's.
    last: dict[int, dict[str, dt.date]] = defaultdict(dict)
    ids = [a[0] for a in accounts]
    if ids:
        # Before the next day's midnight rather than `occurred_at__date__lte`: the same touches, without
        # casting every row's timestamp to a date (on SQLite a Python function call per row).
        next_midnight = dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min, timezone.get_current_timezone())
        touched = (
            Touchpoint.objects.filter(workspace=workspace, account_id__in=ids, occurred_at__lt=next_midnight)
            .values("account_id", "kind")
            .annotate(last=Max("occurred_at"))
        )
        for row in touched:
            last[row["account_id"]][row["kind"]] = row["last"].date()
    return {a[0]: cadence_row(a, coverage, today, last.get(a[0], {})) for a in accounts}


def cadence_row(
    account: tuple[int, str, str, dt.date | None],
    coverage: Coverage,
    today: dt.date,
    last: Mapping[str, dt.date],
) -> CadenceRow:
    """The account's cadence from `last`, the day of its latest touch of each kind."""
    pk, tier, stage, _since = account
    tier_cov = coverage.tiers.get(tier)
    expected = tier_cov.cadence_for(stage) if tier_cov else None
    if expected is None or expected.digital or expected.every_days is None:
        latest = max(last.values()) if last else None
        return CadenceRow(pk, expected, latest, CadenceStatus.DIGITAL, _days(today, latest), None)
    dates = [last[kind] for kind in expected.touches if kind in last]
    latest = max(dates) if dates else None
    if latest is None:
        return CadenceRow(pk, expected, None, CadenceStatus.NEVER, None, today)
    due = latest + dt.timedelta(days=expected.every_days)
    if due < today:
        status = CadenceStatus.OVERDUE
    elif (due - today).days <= DUE_SOON_DAYS:
        status = CadenceStatus.DUE_SOON
    else:
        status = CadenceStatus.ON_TRACK
    return CadenceRow(pk, expected, latest, status, (today - latest).days, due)


def _days(today: dt.date, day: dt.date | None) -> int | None:
    return None if day is None else (today - day).days


def workspace_cadence(workspace: Workspace, *, owner: Member | None = None) -> dict[int, CadenceRow]:
    """Cadence of every live account (of one owner): two queries."""
    rows = Account.objects.filter(workspace=workspace).exclude(stage=Stage.CHURNED)
    if owner is not None:
        rows = rows.filter(owner=owner)
    accounts = rows.values_list("pk", "tier", "stage", "customer_since")
    return cadence_rows(workspace, accounts, coverage_of(workspace), workspace_today(workspace))


def overdue_by_owner(workspace: Workspace) -> dict[int | None, list[int]]:
    """Overdue (or never touched) accounts per owner, most overdue first."""
    rows = Account.objects.filter(workspace=workspace).exclude(stage=Stage.CHURNED)
    accounts = list(rows.values_list("pk", "tier", "stage", "customer_since", "owner_id"))
    cadence = cadence_rows(workspace, [a[:4] for a in accounts], coverage_of(workspace), workspace_today(workspace))
    result: dict[int | None, list[int]] = {}
    for pk, *_rest, owner_id in accounts:
        row = cadence[pk]
        if row.status in (CadenceStatus.OVERDUE, CadenceStatus.NEVER):
            result.setdefault(owner_id, []).append(pk)
    for ids in result.values():
        ids.sort(key=lambda pk: -cadence[pk].overdue_days)
    return result


# Stakeholder map ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StakeholderRow:
    contact: Contact
    influence: str
    sentiment: str
    is_sponsor: bool
    last_contact: dt.datetime | None


@dataclass(frozen=True)
class StakeholderMap:
    rows: list[StakeholderRow]
    gaps: list[str]

    @property
    def sponsor(self) -> StakeholderRow | None:
        return next((r for r in self.rows if r.is_sponsor), None)


def stakeholder_map(account: Account, coverage: Coverage | None = None) -> StakeholderMap:
    """The account's active contacts by influence, with sentiment and last contact; the gaps flagged
    (no sponsor where the tier asks for one; a single-threaded account). Two queries."""
    coverage = coverage or coverage_of(account.workspace)
    contacts = (
        Contact.objects.filter(account=account, status=ContactStatus.ACTIVE)
        .select_related("stakeholder")
        .annotate(last_contact=Max("touchpoints__occurred_at"))
        .order_by("last_name", "first_name", "pk")
    )
    rows = []
    for contact in contacts:
        placed = getattr(contact, "stakeholder", None)
        rows.append(
            StakeholderRow(
                contact=contact,
                influence=placed.influence if placed else _influence_of(contact.role),
                sentiment=placed.sentiment if placed else Sentiment.NEUTRAL,
                is_sponsor=bool(placed and placed.is_executive_sponsor)
                or contact.role == ContactRole.EXECUTIVE_SPONSOR,
                last_contact=contact.last_contact,  # type: ignore[attr-defined]  # annotated above
            )
        )
    order = {v: i for i, v in enumerate(Influence.values)}
    rows.sort(key=lambda r: (order.get(r.influence, 9), not r.is_sponsor, r.contact.last_name))
    gaps: list[str] = []
    tier = coverage.tiers.get(account.tier)
    rule = tier.executive_sponsor if tier else SponsorRule.NONE
    if not any(r.is_sponsor for r in rows):
        if rule == SponsorRule.REQUIRED:
            gaps.append(f"No executive sponsor: the coverage model requires one on {account.tier} accounts")
        elif rule == SponsorRule.RECOMMENDED:
            gaps.append(f"No executive sponsor yet (recommended on {account.tier} accounts)")
    if len(rows) == 1:
        gaps.append(f"Single-threaded: {rows[0].contact} is the only active contact")
    elif not rows:
        gaps.append("No active contact")
    return StakeholderMap(rows, gaps)


def _influence_of(role: str) -> str:
    """Before anyone places a contact, its CRM role suggests its influence."""
    suggested: dict[str, str] = {
        ContactRole.DECISION_MAKER: Influence.DECISION_MAKER,
        ContactRole.EXECUTIVE_SPONSOR: Influence.DECISION_MAKER,
        ContactRole.CHAMPION: Influence.CHAMPION,
    }
    return suggested.get(role, Influence.USER)


# Account groups ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupMember:
    account: Account
    arr: Decimal
    band: str | None
    score: float | None
    open_renewals: int


@dataclass(frozen=True)
class Group:
    """A parent and its subsidiaries, with ARR, health and renewals rolled up."""

    parent: Account
    members: list[GroupMember]  # the parent first, then its subsidiaries by name

    @property
    def arr(self) -> Decimal:
        return sum((m.arr for m in self.members), Decimal(0))

    @property
    def open_renewals(self) -> int:
        return sum(m.open_renewals for m in self.members)

    @property
    def health(self) -> Figure:
        """ARR-weighted average of the latest scores of the scored members."""
        scored = [m for m in self.members if m.score is not None]
        weight = sum((m.arr for m in scored), Decimal(0))
        if not scored:
            return Figure(None, HEALTH_ROLLUP, {"scored": 0}, "No member of the group has a health score")
        if weight == 0:
            value = sum(float(m.score or 0) for m in scored) / len(scored)
            worked = f"no ARR to weigh by: the plain average of {len(scored)} scores = {value:.0f}"
        else:
            value = float(sum((Decimal(str(m.score)) * m.arr for m in scored), Decimal(0)) / weight)
            parts = " + ".join(f"{m.score:.0f} × {m.arr:,.0f}" for m in scored)
            worked = f"({parts}) / {weight:,.0f} = {value:.0f}"
        return Figure(value, HEALTH_ROLLUP, {"scored": len(scored), "arr": weight}, worked)

    @property
    def worst_band(self) -> str | None:
        bands = [m.band for m in self.members if m.band]
        for band in (Band.RED, Band.YELLOW, Band.GREEN):
            if band in bands:
                return str(band)
        return None


HEALTH_ROLLUP = "Group health = the ARR-weighted average of its accounts' latest health scores (unscored left out)"


def group_of(account: Account) -> Group | None:
    """The group the account heads or belongs to (None for a stand-alone account): three queries."""
    link = Subsidiary.objects.filter(child=account).select_related("parent").first()
    parent = link.parent if link else account
    ids = [parent.pk, *Subsidiary.objects.filter(parent=parent).values_list("child_id", flat=True)]
    if len(ids) == 1:
        return None
    latest = HealthScore.objects.filter(account=OuterRef("pk")).order_by("-day", "-id")
    renewals = Renewal.objects.filter(account=OuterRef("pk"), stage__in=OPEN_STAGES).order_by().values("account")
    accounts = (
        Account.objects.filter(workspace_id=parent.workspace_id, pk__in=ids)
        .annotate(
            band=Subquery(latest.values("band")[:1]),
            score=Subquery(latest.values("overall")[:1]),
            renewals_open=Coalesce(Subquery(renewals.annotate(n=Count("pk")).values("n")[:1]), 0),
        )
        .order_by("name", "pk")
    )
    members = [
        GroupMember(a, a.arr, a.band, a.score, a.renewals_open)  # type: ignore[attr-defined]  # annotated above
        for a in accounts
    ]
    members.sort(key=lambda m: (m.account.pk != parent.pk, m.account.name))
    return Group(parent, members)
