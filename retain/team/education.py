"""Education (seed 000's operational CSM): training sessions, webinars and bootcamps the account's
users attended, and the knowledge-base articles they read.

Two ways in, one table (team.models.Learning, one row per person, kind, session and day):

- product events of a small vocabulary (EVENT_KINDS: "Webinar Attended", "Training Completed",
  "Bootcamp Attended", "Article Viewed", …), picked up after each usage fold for the accounts it
  touched (usage.hooks) and by `learnings_from_events` for a backfill;
- a CSV of attendees (email, session, kind, date), checked whole before anything is written:
  every problem is reported as `file:line:column: column-name: message`, and one bad row writes
  nothing (all-or-nothing). Importing the same file twice adds nothing.

Three measures, for health scorecards (health.catalogue / health.measures), playbook data triggers
(snapshot attributes `education.*`), journey milestone criteria (the same attributes, through
journeys.hooks) and any page that shows them:

- trainings_attended_90d: attendances at training sessions, webinars and bootcamps in the 90 days
  ending D;
- users_trained_pct: the account's active contacts who attended at least one session in the 365
  days ending D / its active contacts, in % (missing without an active contact);
- kb_articles_viewed_90d: knowledge-base article views in the 90 days ending D.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import Lower

from retain.accounts.choices import ContactStatus
from retain.accounts.figures import Figure
from retain.accounts.models import Account, Contact
from retain.health.catalogue import HIGHER_IS_HEALTHIER, USAGE, MeasureKind, register
from retain.health.measures import Params, Scope, Values, register_query
from retain.journeys.hooks import attr_provider_register
from retain.lib.dates import local_day, start_of_day, today_in
from retain.lib.definitions import DefinitionError, Problem
from retain.lib.queries import MAX_IDS_IN_QUERY
from retain.playbooks.snapshot import Snapshot, provider_register
from retain.team.choices import LearningKind, LearningSource
from retain.team.models import Learning
from retain.tenancy.models import Member, Workspace
from retain.usage.models import UsageEvent, UsageUser

# The product events that are education, and what they are.
EVENT_KINDS: dict[str, str] = {
    "Training Attended": LearningKind.TRAINING,
    "Training Completed": LearningKind.TRAINING,
    "Webinar Attended": LearningKind.WEBINAR,
    "Bootcamp Attended": LearningKind.BOOTCAMP,
    "Bootcamp Completed": LearningKind.BOOTCAMP,
    "Article Viewed": LearningKind.ARTICLE,
}
# Where the session's (or article's) name is read from, in order; else the event's name.
SESSION_PROPERTIES = ("session", "title", "webinar", "course", "article", "name")
SESSION_KINDS = (LearningKind.TRAINING, LearningKind.WEBINAR, LearningKind.BOOTCAMP)
WINDOW_DAYS = 90
TRAINED_DAYS = 365
# After a fold, events of the days before this many are looked at again (late-attributed ones).
FOLD_LOOKBACK_DAYS = 35
MAX_SESSION = 200
CSV_COLUMNS = ("email", "session", "kind", "date")
MAX_CSV_ROWS = 50_000

TRAININGS = "trainings_attended_90d"
TRAINED = "users_trained_pct"
ARTICLES = "kb_articles_viewed_90d"
ATTRS = ("education.trainings_attended_90d", "education.users_trained_pct", "education.kb_articles_viewed_90d")


def session_of(name: str, properties: dict[str, Any]) -> str:
    for key in SESSION_PROPERTIES:
        value = properties.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:MAX_SESSION]
    return name[:MAX_SESSION]


# From product events ------------------------------------------------------------------------------


def learnings_from_events(
    *, workspace: Workspace, account_ids: Collection[int] | None = None, since: dt.date | None = None
) -> int:
    """Record the education events stored for these accounts (all when None) since `since` (all
    when None); returns the rows added. Idempotent: a row already there is left alone."""
    events = UsageEvent.objects.filter(
        workspace=workspace, type="track", name__in=list(EVENT_KINDS), account__isnull=False
    )
    if account_ids is not None:
        events = events.filter(account_id__in=list(account_ids))
    if since is not None:
        events = events.filter(timestamp__gte=start_of_day(since, workspace.time_zone))
    rows = list(events.values_list("account_id", "user_id", "anonymous_id", "name", "properties", "timestamp"))
    if not rows:
        return 0
    user_ids = {user_id for _, user_id, *_ in rows if user_id}
    contacts = dict(
        UsageUser.objects.filter(workspace=workspace, user_id__in=user_ids, contact__isnull=False).values_list(
            "user_id", "contact_id"
        )
    )
    seen: set[tuple[int, str, str, str, dt.date]] = set()
    learnings = []
    for account_id, user_id, anonymous_id, name, properties, timestamp in rows:
        person = (user_id or anonymous_id).lower()[:254]
        kind = EVENT_KINDS[name]
        session = session_of(name, properties if isinstance(properties, dict) else {})
        day = local_day(timestamp, workspace.time_zone)
        key = (account_id, person, kind, session, day)
        if key in seen:
            continue
        seen.add(key)
        learnings.append(
            Learning(
                workspace=workspace,
                account_id=account_id,
                contact_id=contacts.get(user_id),
                person=person,
                kind=kind,
                session=session,
                day=day,
                source=LearningSource.EVENT,
            )
        )
    before = Learning.objects.filter(workspace=workspace).count()
    Learning.objects.bulk_create(learnings, ignore_conflicts=True, batch_size=1000)
    return Learning.objects.filter(workspace=workspace).count() - before


def learnings_folded(workspace: Workspace, account_ids: list[int]) -> None:
    """The usage fold's hook: the touched accounts' education events of the last few weeks."""
    since = today_in(workspace.time_zone) - dt.timedelta(days=FOLD_LOOKBACK_DAYS)
    learnings_from_events(workspace=workspace, account_ids=account_ids, since=since)


# From a CSV of attendees --------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendeeRow:
    line: int
    contact: Contact
    kind: str
    session: str
    day: dt.date


@dataclass(frozen=True)
class ImportResult:
    rows: int
    created: int
    unchanged: int
    accounts: int


KIND_WORDS = {
    **{kind.value: kind.value for kind in LearningKind},
    **{str(kind.label).lower(): kind.value for kind in LearningKind},
    "training": LearningKind.TRAINING,
    "session": LearningKind.TRAINING,
    "article": LearningKind.ARTICLE,
}


def _kind(text: str) -> str | None:
    return KIND_WORDS.get(text.strip().lower())


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


def parse_attendees(workspace: Workspace, text: str, filename: str = "attendees.csv") -> list[AttendeeRow]:
    """The CSV's rows, each matched to a contact of the workspace by e-mail; DefinitionError with
    every problem (`file:line:column: column: message`) when any row is wrong."""
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(reader)
    except StopIteration:
        raise DefinitionError(
            [Problem("", "the file is empty: expected a header email,session,kind,date", 1, 1)], filename
        ) from None
    names = [h.strip().lower() for h in header]
    missing = [c for c in CSV_COLUMNS if c not in names]
    if missing:
        raise DefinitionError(
            [
                Problem(
                    "header",
                    f"missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)} "
                    f"(expected {','.join(CSV_COLUMNS)})",
                    1,
                    1,
                )
            ],
            filename,
        )
    where = {c: names.index(c) for c in CSV_COLUMNS}
    raw: list[tuple[int, dict[str, str]]] = []
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(raw) >= MAX_CSV_ROWS:
            problems.append(Problem("", f"more than {MAX_CSV_ROWS:,} rows: split the file", line, 1))
            break
        raw.append((line, {c: values[i].strip() if i < len(values) else "" for c, i in where.items()}))
    emails = {row["email"].lower() for _, row in raw if row["email"]}
    contacts = {
        c.email_lower: c  # type: ignore[attr-defined]  # annotated below
        for c in Contact.objects.filter(workspace=workspace)
        .exclude(status=ContactStatus.ERASED)
        .annotate(email_lower=Lower("email"))
        .filter(email_lower__in=emails)
        .select_related("account")
    }
    rows: list[AttendeeRow] = []
    for line, row in raw:
        found: list[Problem] = []

        def bad(column: str, message: str, line: int = line, found: list[Problem] = found) -> None:
            found.append(Problem(column, message, line, where[column] + 1))

        contact = contacts.get(row["email"].lower())
        if not row["email"]:
            bad("email", "is empty")
        elif contact is None:
            bad("email", f"{row['email']!r} is no contact of this workspace")
        kind = _kind(row["kind"])
        if kind is None:
            bad("kind", f"{row['kind']!r} is not one of training, webinar, bootcamp, article")
        if not row["session"]:
            bad("session", "is empty")
        elif len(row["session"]) > MAX_SESSION:
            bad("session", f"is longer than {MAX_SESSION} characters")
        day = _date(row["date"])
        if day is None:
            bad("date", f"{row['date']!r} is not a date as YYYY-MM-DD")
        elif day > today_in(workspace.time_zone):
            bad("date", f"{day} lies in the future")
        if found:
            problems.extend(found)
        elif contact is not None and kind is not None and day is not None:
            rows.append(AttendeeRow(line, contact, kind, row["session"], day))
    if problems:
        raise DefinitionError(problems, filename)
    return rows


@transaction.atomic
def attendees_import(
    *, workspace: Workspace, actor: Member | None, text: str, filename: str = "attendees.csv"
) -> ImportResult:
    """Record a CSV of attendees: all its rows or, when one is wrong, none (DefinitionError)."""
    rows = parse_attendees(workspace, text, filename)
    learnings = {
        (r.contact.account_id, r.contact.email.lower(), r.kind, r.session, r.day): Learning(
            workspace=workspace,
            account_id=r.contact.account_id,
            contact=r.contact,
            person=r.contact.email.lower(),
            kind=r.kind,
            session=r.session,
            day=r.day,
            source=LearningSource.CSV,
        )
        for r in rows
    }
    before = Learning.objects.filter(workspace=workspace).count()
    Learning.objects.bulk_create(list(learnings.values()), ignore_conflicts=True, batch_size=1000)
    created = Learning.objects.filter(workspace=workspace).count() - before
    return ImportResult(
        rows=len(rows),
        created=created,
        unchanged=len(rows) - created,
        accounts=len({key[0] for key in learnings}),
    )


# Measures ----------------------------------------------------------------------------------------


def _window(day: dt.date, days: int) -> tuple[dt.date, dt.date]:
    return day - dt.timedelta(days=days - 1), day


def education_values(
    workspace: Workspace, ids: Iterable[int] | None, day: dt.date
) -> dict[int, dict[str, float | None]]:
    """{account_id: {kind: value}} for the three measures on `day` (three queries)."""
    learnings = Learning.objects.filter(workspace=workspace, day__lte=day)
    contacts = Contact.objects.filter(workspace=workspace, status=ContactStatus.ACTIVE)
    accounts = Account.objects.filter(workspace=workspace)
    wanted = None if ids is None else sorted(set(ids))
    if wanted is not None and len(wanted) <= MAX_IDS_IN_QUERY:
        learnings = learnings.filter(account_id__in=wanted)
        contacts = contacts.filter(account_id__in=wanted)
        accounts = accounts.filter(pk__in=wanted)
    start_90, _ = _window(day, WINDOW_DAYS)
    start_365, _ = _window(day, TRAINED_DAYS)
    counts = (
        learnings.filter(day__gte=start_90)
        .values("account_id")
        .annotate(
            sessions=Count("id", filter=Q(kind__in=SESSION_KINDS)),
            articles=Count("id", filter=Q(kind=LearningKind.ARTICLE)),
        )
    )
    found: dict[int, dict[str, Any]] = {row["account_id"]: dict(row) for row in counts}
    attended = Learning.objects.filter(
        workspace=workspace, kind__in=SESSION_KINDS, day__gte=start_365, day__lte=day, contact__isnull=False
    ).values("contact_id")
    trained = contacts.values("account_id").annotate(active=Count("pk"), trained=Count("pk", filter=Q(pk__in=attended)))
    people = {row["account_id"]: (row["trained"], row["active"]) for row in trained}
    result: dict[int, dict[str, float | None]] = {}
    # Given a short list of ids (real accounts: health's scope, playbooks' snapshots), no query for them.
    if wanted is not None and len(wanted) <= MAX_IDS_IN_QUERY:
        pks: Iterable[int] = wanted
    else:
        keep = None if wanted is None else set(wanted)
        pks = [pk for pk in accounts.values_list("pk", flat=True) if keep is None or pk in keep]
    for pk in pks:
        row: dict[str, Any] = found.get(pk, {})
        done, active = people.get(pk, (0, 0))
        result[pk] = {
            TRAININGS: float(row.get("sessions", 0)),
            ARTICLES: float(row.get("articles", 0)),
            TRAINED: round(100 * done / active, 1) if active else None,
        }
    return result


def _measure_query(scope: Scope, day: dt.date, params: Params) -> dict[int, Values]:
    values = education_values(scope.workspace, scope.ids, day)
    return {pk: {k: v for k, v in row.items() if v is not None} for pk, row in values.items()}


def add_to_snapshots(
    snapshots: dict[int, Snapshot], workspace: Workspace, wanted: set[int] | None, day: dt.date
) -> None:
    for pk, row in education_values(workspace, wanted if wanted is not None else set(snapshots), day).items():
        snap = snapshots.get(pk)
        if snap is None:
            continue
        for kind, value in row.items():
            if value is not None:
                snap[f"education.{kind}"] = value


def journey_attrs(workspace: Workspace, account_ids: list[int], day: dt.date) -> dict[int, dict[str, Any]]:
    """The `education.*` attributes for journeys' milestone criteria (journeys.hooks)."""
    return {
        pk: {f"education.{kind}": value for kind, value in row.items() if value is not None}
        for pk, row in education_values(workspace, account_ids, day).items()
    }


def register_measures() -> None:
    register(
        MeasureKind(
            kind=TRAININGS,
            name="Trainings attended",
            group=USAGE,
            direction=HIGHER_IS_HEALTHIER,
            unit="attendances",
            doc="Attendances of the account's people at training sessions, webinars and bootcamps (from "
            "product events or an attendee CSV) in the 90 calendar days ending D. One per person, session and day.",
            words=lambda v, p: f"{round(v)} training attendance{'s' if round(v) != 1 else ''} in {WINDOW_DAYS} days",
            when_missing="no training attended",
        )
    )
    register(
        MeasureKind(
            kind=TRAINED,
            name="Users trained",
            group=USAGE,
            direction=HIGHER_IS_HEALTHIER,
            unit="% of active contacts",
            doc="The account's active contacts who attended a training session, webinar or bootcamp in the "
            "365 days ending D / its active contacts, × 100. Missing when the account has no active contact.",
            words=lambda v, p: f"{v:.0f}% of active contacts trained in the last year",
            when_missing="no active contact to train",
        )
    )
    register(
        MeasureKind(
            kind=ARTICLES,
            name="Knowledge-base views",
            group=USAGE,
            direction=HIGHER_IS_HEALTHIER,
            unit="article views",
            doc='Knowledge-base articles viewed by the account\'s people ("Article Viewed" events) in the 90 '
            "calendar days ending D, one per person, article and day.",
            words=lambda v, p: (
                f"{round(v)} knowledge-base article view{'s' if round(v) != 1 else ''} in {WINDOW_DAYS} days"
            ),
            when_missing="no knowledge-base article viewed",
        )
    )
    register_query(_measure_query, (TRAININGS, TRAINED, ARTICLES))
    provider_register(ATTRS, add_to_snapshots)
    attr_provider_register(ATTRS, journey_attrs)


# Reads for the account page, exports and the API ----------------------------------------------------


@dataclass(frozen=True)
class KindCount:
    kind: str
    label: str
    count_90d: int
    total: int


@dataclass(frozen=True)
class AccountEducation:
    day: dt.date
    figures: list[tuple[str, str, Figure]]  # (key, label, figure)
    kinds: list[KindCount]
    recent: list[Learning]
    sessions: int  # rows of the account, all time


def account_education(account: Account, *, today: dt.date, recent: int = 50) -> AccountEducation:
    """The account's education: the three measures with their formulas, counts per kind, recent rows."""
    workspace = account.workspace
    values = education_values(workspace, [account.pk], today).get(account.pk, {})
    start_90, _ = _window(today, WINDOW_DAYS)
    start_365, _ = _window(today, TRAINED_DAYS)
    learnings = Learning.objects.filter(workspace=workspace, account=account)
    per_kind: dict[str, dict[str, Any]] = {
        row["kind"]: dict(row)
        for row in learnings.filter(day__lte=today)
        .values("kind")
        .annotate(total=Count("id"), recent=Count("id", filter=Q(day__gte=start_90)))
    }
    active = Contact.objects.filter(workspace=workspace, account=account, status=ContactStatus.ACTIVE).count()
    trained_people = round((values.get(TRAINED) or 0) * active / 100) if active else 0
    sessions = int(values.get(TRAININGS) or 0)
    articles = int(values.get(ARTICLES) or 0)
    pct = values.get(TRAINED)
    figures = [
        (
            TRAININGS,
            "Trainings attended (90 days)",
            Figure(
                float(sessions),
                f"Trainings attended = attendances at training sessions, webinars and bootcamps "
                f"from {start_90} to {today}",
                {"from": start_90.isoformat(), "to": today.isoformat()},
                f"{sessions} attendance{'s' if sessions != 1 else ''}",
            ),
        ),
        (
            TRAINED,
            "Users trained (365 days)",
            Figure(
                pct,
                f"Users trained = active contacts who attended a session from {start_365} to {today} / active contacts",
                {"trained": trained_people, "active_contacts": active},
                f"{trained_people} / {active} = {pct:.0f}%" if pct is not None else "no active contact",
            ),
        ),
        (
            ARTICLES,
            "Knowledge-base views (90 days)",
            Figure(
                float(articles),
                f'Knowledge-base views = "Article Viewed" per person, article and day from {start_90} to {today}',
                {"from": start_90.isoformat(), "to": today.isoformat()},
                f"{articles} view{'s' if articles != 1 else ''}",
            ),
        ),
    ]
    kinds = [
        KindCount(kind.value, str(kind.label), per_kind.get(kind.value, {}).get("recent", 0),
                  per_kind.get(kind.value, {}).get("total", 0))
        for kind in LearningKind
    ]  # fmt: skip
    return AccountEducation(
        day=today,
        figures=figures,
        kinds=kinds,
        recent=list(learnings.select_related("contact").order_by("-day", "session", "person")[:recent]),
        sessions=sum(k.total for k in kinds),
    )


def workspace_learnings(
    workspace: Workspace, *, account: Account | None = None, kind: str | None = None, since: dt.date | None = None
) -> Any:
    """The workspace's education rows (newest first), optionally of one account, kind, or since a day."""
    rows = Learning.objects.filter(workspace=workspace).select_related("account", "contact")
    if account is not None:
        rows = rows.filter(account=account)
    if kind:
        rows = rows.filter(kind=kind)
    if since is not None:
        rows = rows.filter(day__gte=since)
    return rows.order_by("-day", "account__name", "session", "person")


def attendance_by_session(workspace: Workspace, *, since: dt.date) -> list[dict[str, Any]]:
    """Sessions since a day: kind, name, day, attendees and accounts (the operational CSM's list)."""
    rows = (
        Learning.objects.filter(workspace=workspace, kind__in=SESSION_KINDS, day__gte=since)
        .values("kind", "session", "day")
        .annotate(attendees=Count("person", distinct=True), accounts=Count("account", distinct=True))
        .order_by("-day", "session")
    )
    return [dict(row) for row in rows]
