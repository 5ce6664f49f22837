"""Notifications are written where their events happen: an account or task given to someone, an
@mention in a note, an owner's account turning red, an escalation; nobody is told of their own doing.
The pages: the bell's count, the list, marking read, opening one (only one's own)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.test import Client
from django.utils import timezone

from conftest import PASSWORD
from retain.accounts import services as account_services
from retain.health import services as health_services
from retain.health.models import Pulse
from retain.tasks import services as task_services
from retain.team.choices import NotificationKind
from retain.team.models import Notification
from retain.team.notifications import mentioned
from retain.team.tests.conftest import new_account
from retain.tenancy.models import Member, Workspace

D = dt.date(2026, 6, 30)
PULSE_ONLY = """\
name: Pulse only
applies_to: {default: true}
priority: 1000
measures:
- kind: csm_pulse
  label: CSM pulse
  weight: 1
  scoring:
    bands:
    - {below: 2, score: 0}
    - {below: 3, score: 50}
    - {else: 100}
"""


def _kinds(member: Member) -> list[str]:
    return list(Notification.objects.filter(member=member).order_by("pk").values_list("kind", flat=True))


def _login(member: Member) -> Client:
    client = Client()
    assert client.login(username=member.user.username, password=PASSWORD)
    return client


def test_an_account_given_to_a_csm_tells_them_but_not_whoever_gave_it_to_themselves(
    workspace: Workspace, mark: Member, erin: Member, ed: Member
) -> None:
    globex = new_account(workspace, "Globex")
    account_services.account_update(account=globex, actor=mark, via="test", owner=erin)
    assert _kinds(erin) == [NotificationKind.ACCOUNT_ASSIGNED]
    note = Notification.objects.get(member=erin)
    assert note.account == globex and note.actor == mark and "Globex is now in your book" in note.text
    account_services.account_update(account=globex, actor=ed, via="test", owner=ed)
    assert _kinds(ed) == []


def test_a_book_moved_tells_the_new_owner_of_each_account(
    workspace: Workspace, mark: Member, erin: Member, ed: Member
) -> None:
    accounts = [new_account(workspace, name, owner=erin) for name in ("Globex", "Initech")]
    account_services.accounts_reassign(workspace=workspace, actor=mark, via="test", accounts=accounts, new_owner=ed)
    rows = Notification.objects.filter(member=ed, kind=NotificationKind.ACCOUNT_ASSIGNED)
    assert sorted(rows.values_list("account__name", flat=True)) == ["Globex", "Initech"]


def test_an_account_created_into_a_book_tells_its_owner_once(workspace: Workspace, erin: Member) -> None:
    new_account(workspace, "Globex", owner=erin)
    assert _kinds(erin) == [NotificationKind.ACCOUNT_ASSIGNED]


def test_a_task_given_to_someone_tells_them(workspace: Workspace, mark: Member, erin: Member, ed: Member) -> None:
    globex = new_account(workspace, "Globex", owner=erin)
    Notification.objects.all().delete()
    task = task_services.task_create(
        account=globex, title="Call the sponsor", kind="call", due_on=D, owner=erin, actor=mark
    )
    task_services.task_create(account=globex, title="My own", kind="call", due_on=D, owner=erin, actor=erin)
    assert _kinds(erin) == [NotificationKind.TASK_ASSIGNED]
    assert Notification.objects.get(member=erin).task == task
    task_services.task_update(task=task, actor=mark, owner=ed)
    assert _kinds(ed) == [NotificationKind.TASK_ASSIGNED]


def test_an_escalation_tells_the_manager_and_the_escalated_tasks_owner(
    workspace: Workspace, mark: Member, erin: Member
) -> None:
    globex = new_account(workspace, "Globex", owner=erin)
    stuck = task_services.task_create(account=globex, title="Send the proposal", kind="email", due_on=D, owner=erin)
    Notification.objects.all().delete()
    task_services.task_create(
        account=globex, title="Escalation: Send the proposal", kind="escalation", due_on=D, owner=mark,
        escalated_from=stuck,
    )  # fmt: skip
    assert _kinds(mark) == [NotificationKind.ESCALATION]
    assert _kinds(erin) == [NotificationKind.ESCALATION]
    told = Notification.objects.get(member=erin)
    assert told.task == stuck and "escalated to Mark" in told.text


def test_a_note_mentioning_members_tells_each_of_them_but_not_the_author(
    workspace: Workspace, mark: Member, erin: Member, ed: Member, sam: Member
) -> None:
    globex = new_account(workspace, "Globex", owner=erin)
    Notification.objects.all().delete()
    account_services.touchpoint_log(
        account=globex, actor=erin, via="test", kind="note", occurred_at=timezone.now(),
        summary="@Ed and @mark: the sponsor left; @erin will ask. mail@sam is no mention.",
    )  # fmt: skip
    assert _kinds(ed) == [NotificationKind.MENTION] and _kinds(mark) == [NotificationKind.MENTION]
    assert _kinds(erin) == [] and _kinds(sam) == []
    assert "Erin mentioned you in a note on Globex" in Notification.objects.get(member=ed).text
    assert [m.pk for m in mentioned(workspace.pk, "hi @nobody")] == []


def test_an_owners_account_turning_red_tells_them_once(workspace: Workspace, erin: Member) -> None:
    health_services.scorecard_publish(workspace=workspace, actor=None, text=PULSE_ONLY)
    globex = new_account(workspace, "Globex", owner=erin)
    account_services.subscription_create(
        account=globex, actor=None, via="test", product="Hub", mrr=Decimal(100), started_on=dt.date(2024, 1, 1),
        term_end=dt.date(2027, 1, 1),
    )  # fmt: skip
    Notification.objects.all().delete()
    Pulse.objects.create(workspace=workspace, account=globex, value=3, set_on=D - dt.timedelta(days=1))
    health_services.health_recompute(workspace=workspace, day=D - dt.timedelta(days=1))
    assert _kinds(erin) == []
    Pulse.objects.create(workspace=workspace, account=globex, value=1, set_on=D)
    health_services.health_recompute(workspace=workspace, day=D)
    health_services.health_recompute(workspace=workspace, day=D)
    assert _kinds(erin) == [NotificationKind.TURNED_RED]
    assert Notification.objects.get(member=erin).text == "Globex turned red on 2026-06-30 (was green)"


def test_the_bell_counts_unread_and_the_list_marks_read_only_ones_own(
    workspace: Workspace, mark: Member, erin: Member, ed: Member
) -> None:
    for name in ("Globex", "Initech", "Umbrella"):
        account_services.account_update(account=new_account(workspace, name), actor=mark, via="test", owner=erin)
    theirs = Notification.objects.create(workspace=workspace, member=ed, kind="mention", text="For Ed")
    client = _login(erin)
    assert 'data-unread="3"' in client.get("/w/acme/notifications/count/").content.decode()
    page = client.get("/w/acme/notifications/").content.decode()
    assert page.count('class="notification unread"') == 3 and "For Ed" not in page
    first = Notification.objects.filter(member=erin).order_by("pk").first()
    assert first is not None
    opened = client.post(f"/w/acme/notifications/{first.pk}/open/")
    assert opened.status_code == 302 and opened["Location"] == f"/w/acme/accounts/{first.account_id}/"
    assert 'data-unread="2"' in client.get("/w/acme/notifications/count/").content.decode()
    assert client.post(f"/w/acme/notifications/{theirs.pk}/open/").status_code == 404
    assert client.post("/w/acme/notifications/read/", {"id": theirs.pk}).status_code == 404
    assert client.post("/w/acme/notifications/read/", {"id": "x"}).status_code == 400
    assert client.post("/w/acme/notifications/read/").status_code == 302
    assert 'data-unread="0"' in client.get("/w/acme/notifications/count/").content.decode()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    csv = client.get("/w/acme/notifications/?format=csv").content.decode()
    assert csv.splitlines()[0] == "created_at,kind,text,account,task,read_at" and len(csv.splitlines()) == 4


def test_a_csm_lands_on_my_book_and_a_manager_on_the_team(
    workspace: Workspace, mark: Member, erin: Member, vic: Member
) -> None:
    assert _login(erin).get("/")["Location"] == "/w/acme/my-book/"
    assert _login(mark).get("/")["Location"] == "/w/acme/team/"
    assert _login(vic).get("/")["Location"] == "/w/acme/accounts/"
