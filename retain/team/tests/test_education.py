"""Education: the attendee CSV (file:line:column errors, all-or-nothing, idempotent), product events,
and the three measures as health computes them and playbooks read them."""

from __future__ import annotations

import datetime as dt
from itertools import count

import pytest
from django.utils import timezone

from retain.accounts import services as account_services
from retain.accounts.models import Account, Contact
from retain.accounts.selectors import workspace_today
from retain.health.measures import compute_measures
from retain.lib.definitions import DefinitionError
from retain.playbooks.snapshot import build
from retain.team import education
from retain.team.models import Learning
from retain.team.tests.conftest import new_account
from retain.tenancy.models import Workspace
from retain.usage.models import UsageEvent, UsageUser

_ids = count(1)


def _contact(account: Account, email: str) -> Contact:
    return account_services.contact_create(account=account, actor=None, via="test", email=email, first_name="P")


def _event(workspace: Workspace, account: Account, name: str, user: str, when: dt.datetime, **props: str) -> None:
    UsageEvent.objects.create(
        workspace=workspace,
        message_id=f"m-{next(_ids)}",
        type="track",
        name=name,
        user_id=user,
        account=account,
        properties=props,
        timestamp=when,
        received_at=when,
    )


@pytest.fixture
def globex(workspace: Workspace) -> Account:
    return new_account(workspace, "Globex")


def test_an_attendee_csv_is_recorded_once_per_person_session_and_day(workspace: Workspace, globex: Account) -> None:
    _contact(globex, "ann@globex.example")
    _contact(globex, "bob@globex.example")
    today = workspace_today(workspace)
    text = (
        "email,session,kind,date\n"
        f"Ann@Globex.example,Reporting 101,training,{today - dt.timedelta(days=3)}\n"
        f"bob@globex.example,Spring launch,webinar,{today - dt.timedelta(days=10)}\n"
        f"bob@globex.example,Spring launch,webinar,{today - dt.timedelta(days=10)}\n"
    )
    first = education.attendees_import(workspace=workspace, actor=None, text=text)
    assert (first.rows, first.created, first.accounts) == (3, 2, 1)
    again = education.attendees_import(workspace=workspace, actor=None, text=text)
    assert (again.created, again.unchanged) == (0, 3)
    rows = list(Learning.objects.filter(account=globex).order_by("day"))
    assert [(r.person, r.kind, r.source) for r in rows] == [
        ("bob@globex.example", "webinar", "csv"),
        ("ann@globex.example", "training", "csv"),
    ]
    assert rows[1].contact is not None and rows[1].contact.email == "ann@globex.example"


def test_a_bad_row_names_file_line_and_column_and_writes_nothing(workspace: Workspace, globex: Account) -> None:
    _contact(globex, "ann@globex.example")
    text = (
        "email,session,kind,date\n"
        "ann@globex.example,Reporting 101,training,2026-01-05\n"
        "nobody@else.example,Reporting 101,lecture,2026-13-01\n"
    )
    with pytest.raises(DefinitionError) as caught:
        education.attendees_import(workspace=workspace, actor=None, text=text, filename="march.csv")
    assert caught.value.lines == [
        "march.csv:3:1: email: 'nobody@else.example' is no contact of this workspace",
        "march.csv:3:3: kind: 'lecture' is not one of training, webinar, bootcamp, article",
        "march.csv:3:4: date: '2026-13-01' is not a date as YYYY-MM-DD",
    ]
    assert not Learning.objects.exists()


def test_a_csv_without_the_columns_is_refused_on_its_header(workspace: Workspace) -> None:
    with pytest.raises(DefinitionError) as caught:
        education.attendees_import(workspace=workspace, actor=None, text="email,title\nx@y.z,A\n", filename="a.csv")
    assert caught.value.lines == [
        "a.csv:1:1: header: missing columns: session, kind, date (expected email,session,kind,date)"
    ]


def test_product_events_become_education_rows_once(workspace: Workspace, globex: Account) -> None:
    ann = _contact(globex, "ann@globex.example")
    now = timezone.now()
    UsageUser.objects.create(
        workspace=workspace, user_id="u-ann", account=globex, contact=ann, first_seen_at=now, last_seen_at=now
    )
    _event(workspace, globex, "Webinar Attended", "u-ann", now - dt.timedelta(days=2), webinar="Spring launch")
    _event(workspace, globex, "Article Viewed", "u-bob", now - dt.timedelta(days=1), title="Set up tracking")
    _event(workspace, globex, "Article Viewed", "u-bob", now - dt.timedelta(days=1), title="Set up tracking")
    _event(workspace, globex, "Lead Created", "u-bob", now)
    assert education.learnings_from_events(workspace=workspace) == 2
    assert education.learnings_from_events(workspace=workspace) == 0
    rows = {(r.kind, r.session, r.person, r.contact_id) for r in Learning.objects.all()}
    assert rows == {("webinar", "Spring launch", "u-ann", ann.pk), ("article", "Set up tracking", "u-bob", None)}


def test_the_fold_hook_picks_up_the_touched_accounts_events(workspace: Workspace, globex: Account) -> None:
    _event(workspace, globex, "Bootcamp Attended", "u-1", timezone.now())
    education.learnings_folded(workspace, [globex.pk])
    assert Learning.objects.get().kind == "bootcamp"


def test_measures_count_the_windows_and_the_share_of_contacts_trained(workspace: Workspace, globex: Account) -> None:
    other = new_account(workspace, "Initech")
    ann = _contact(globex, "ann@globex.example")
    _contact(globex, "bob@globex.example")
    _contact(globex, "cy@globex.example")
    _contact(globex, "di@globex.example")
    today = workspace_today(workspace)

    def add(kind: str, days_ago: int, contact: Contact | None = None, session: str = "S") -> None:
        Learning.objects.create(
            workspace=workspace,
            account=globex,
            contact=contact,
            person=contact.email if contact else f"p{next(_ids)}",
            kind=kind,
            session=session,
            day=today - dt.timedelta(days=days_ago),
            source="csv",
        )

    add("training", 5, ann)
    add("webinar", 89, ann, session="W")
    add("bootcamp", 91)  # outside the 90 days, inside the year: not a trained contact (no contact)
    add("article", 0)
    add("article", 100)
    values = compute_measures(
        workspace,
        [globex.pk, other.pk],
        today,
        kinds=["trainings_attended_90d", "users_trained_pct", "kb_articles_viewed_90d"],
    )
    assert values[globex.pk]["trainings_attended_90d"] == 2
    assert values[globex.pk]["kb_articles_viewed_90d"] == 1
    assert values[globex.pk]["users_trained_pct"] == 25.0  # Ann of four active contacts
    assert values[other.pk]["trainings_attended_90d"] == 0
    assert values[other.pk].get("users_trained_pct") is None  # no contact to train

    snapshots = build(workspace, today, [globex.pk])
    assert snapshots[globex.pk]["education.trainings_attended_90d"] == 2
    assert snapshots[globex.pk]["education.users_trained_pct"] == 25.0


def test_the_account_summary_shows_each_figure_with_its_formula(workspace: Workspace, globex: Account) -> None:
    ann = _contact(globex, "ann@globex.example")
    today = workspace_today(workspace)
    Learning.objects.create(
        workspace=workspace, account=globex, contact=ann, person=ann.email, kind="training", session="S",
        day=today, source="csv",
    )  # fmt: skip
    data = education.account_education(globex, today=today)
    figures = {key: figure for key, _, figure in data.figures}
    assert figures["users_trained_pct"].worked == "1 / 1 = 100%"
    assert "active contacts" in figures["users_trained_pct"].formula
    assert {k.kind: k.total for k in data.kinds}["training"] == 1


def test_a_journey_milestone_completes_on_trainings_attended(workspace: Workspace, globex: Account) -> None:
    from retain.journeys.models import MilestoneProgress
    from retain.journeys.services import journey_start, journeys_advance, template_publish

    today = workspace_today(workspace)
    template = template_publish(
        workspace=workspace,
        key="trained",
        name="Trained team",
        milestones=[
            {
                "key": "trained",
                "name": "Two trainings attended",
                "target_week": 8,
                "kind": "data",
                "criteria": {"attr": "education.trainings_attended_90d", "op": "gte", "value": 2},
            }
        ],
    )
    journey_start(account=globex, template=template, started_on=today - dt.timedelta(days=20), plan_onboarding=False)
    ann = _contact(globex, "ann@globex.example")

    def attend(session: str) -> None:
        Learning.objects.create(
            workspace=workspace, account=globex, contact=ann, person=ann.email, kind="training", session=session,
            day=today - dt.timedelta(days=3), source="csv",
        )  # fmt: skip

    attend("Reporting 101")
    journeys_advance(workspace=workspace, account_ids=[globex.pk], today=today)
    progress = MilestoneProgress.objects.get(account=globex, key="trained")
    assert progress.completed_on is None
    attend("Workflows")
    journeys_advance(workspace=workspace, account_ids=[globex.pk], today=today)
    progress.refresh_from_db()
    assert progress.completed_on == today
    assert progress.evidence["summary"] == "education trainings attended 90d: 2"


def test_a_journey_template_refuses_an_unknown_education_attribute(workspace: Workspace) -> None:
    from django.core.exceptions import ValidationError

    from retain.journeys.services import template_publish

    with pytest.raises(ValidationError) as caught:
        template_publish(
            workspace=workspace,
            key="bad",
            name="Bad",
            milestones=[
                {"key": "x", "name": "X", "target_week": 1, "kind": "data",
                 "criteria": {"attr": "education.trainings_attended_9d", "op": "gte", "value": 1}}
            ],
        )  # fmt: skip
    assert "education.trainings_attended_90d" in str(caught.value)
