"""The task pages: my tasks, the team view, one task's page, creating, completing, ticking.

Every route is checked with the outsider (Olga → 404) and the viewer (Vic → 403 on writes); working a
task with a CSM in and outside its own book (Carol owns Globex, Dave does not) and as its owner.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from retain.accounts.choices import EntryKind
from retain.accounts.models import Account, TimelineEntry, Touchpoint
from retain.tasks import selectors, services
from retain.tasks.models import Task
from retain.tenancy.models import Member, Workspace

pytestmark = pytest.mark.django_db


@pytest.fixture
def today(workspace: Workspace) -> dt.date:
    return selectors.task_today(workspace)


@pytest.fixture
def task(account: Account, carol: Member, today: dt.date) -> Task:
    return services.task_create(
        account=account,
        title="Risk review: Globex",
        kind="review",
        due_on=today - dt.timedelta(days=2),
        owner=carol,
        priority="high",
        checklist=["Check usage", "Call champion"],
        source="playbook",
        source_ref="playbook:health-turned-red/enrollment:9",
    )


def client_for(member: Member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def url(name: str, *args: object) -> str:
    return reverse(name, args=["acme", *args])


HTMX = {"HX-Request": "true"}


def test_outsider_gets_404_everywhere(task: Task, olga: Member) -> None:
    client = client_for(olga)
    for name, args in [("tasks", ()), ("tasks-team", ()), ("task-new", ()), ("task", (task.pk,))]:
        assert client.get(url(name, *args)).status_code == 404, name
    for name in ("task-edit", "task-complete", "task-cancel", "task-reopen"):
        assert client.post(url(name, task.pk), {"title": "x"}).status_code == 404, name
    assert client.post(url("task-check", task.pk, 0), {"done": "1"}).status_code == 404
    # Another workspace's id inside a workspace Olga belongs to is a 404 too.
    response = client.get(reverse("task", args=["other", task.pk]))
    assert response.status_code == 404
    task.refresh_from_db()
    assert task.is_open and task.checklist_done == 0


def test_viewer_reads_but_gets_403_on_writes(task: Task, vic: Member, account: Account) -> None:
    client = client_for(vic)
    assert client.get(url("task", task.pk)).status_code == 200
    assert client.get(url("tasks")).status_code == 200
    assert client.get(url("task-new")).status_code == 403
    for name in ("task-edit", "task-complete", "task-cancel"):
        assert client.post(url(name, task.pk), {"title": "x"}).status_code == 403, name
    assert client.post(url("task-check", task.pk, 0), {"done": "1"}).status_code == 403
    response = client.post(
        url("task-new"), {"account": account.pk, "title": "x", "kind": "call", "due_on": "2030-01-01"}
    )
    assert response.status_code == 403
    task.refresh_from_db()
    assert task.is_open and Task.objects.count() == 1


def test_my_tasks_groups_by_due_day_and_shows_the_playbook(
    task: Task, account: Account, carol: Member, today: dt.date
) -> None:
    services.task_create(account=account, title="Kickoff call", kind="call", due_on=today, owner=carol)
    services.task_create(
        account=account, title="QBR prep", kind="meeting", due_on=today + dt.timedelta(days=3), owner=carol
    )
    services.task_create(
        account=account, title="Renewal call", kind="renewal", due_on=today + dt.timedelta(days=30), owner=carol
    )
    response = client_for(carol).get(url("tasks"))
    assert response.status_code == 200
    mine = response.context["mine"]
    assert [t.title for t in mine.overdue] == ["Risk review: Globex"]
    assert [t.title for t in mine.due_today] == ["Kickoff call"]
    assert [t.title for t in mine.this_week] == ["QBR prep"]
    assert [t.title for t in mine.later] == ["Renewal call"]
    html = response.content.decode()
    assert "from playbook health-turned-red" in html  # no playbook saved under that key: its key shows
    # The nav counts Carol's overdue and due-today tasks.
    assert '<span class="nav-count" title="overdue or due today">2</span>' in html


def test_completing_through_htmx_returns_the_done_row_and_writes_the_timeline(
    task: Task, account: Account, carol: Member
) -> None:
    response = client_for(carol).post(
        url("task-complete", task.pk), {"outcome": "Usage is back", "log_touchpoint": "call"}, headers=HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="task-{task.pk}"' in html and "status-done" in html and "Usage is back" in html
    task.refresh_from_db()
    assert task.status == "done" and task.outcome == "Usage is back"
    entry = TimelineEntry.objects.get(account=account, kind=EntryKind.TASK_COMPLETED)
    assert entry.summary == "Task done: Risk review: Globex — Usage is back"
    assert Touchpoint.objects.get(account=account).kind == "call"


def test_completing_with_a_plain_post_redirects_back(task: Task, carol: Member) -> None:
    response = client_for(carol).post(url("task-complete", task.pk), {"outcome": "ok", "next": url("tasks")})
    assert response.status_code == 302 and response["Location"] == url("tasks")
    response = client_for(carol).post(url("task-complete", task.pk), {"outcome": "again"})
    assert response.status_code == 400
    assert "cannot complete" in response.content.decode()
    assert TimelineEntry.objects.filter(kind=EntryKind.TASK_COMPLETED).count() == 1


def test_completing_refuses_an_unknown_touchpoint_kind(task: Task, carol: Member) -> None:
    response = client_for(carol).post(url("task-complete", task.pk), {"log_touchpoint": "fax"}, headers=HTMX)
    assert response.status_code == 400
    task.refresh_from_db()
    assert task.is_open


def test_an_offsite_next_is_ignored(task: Task, carol: Member) -> None:
    response = client_for(carol).post(url("task-complete", task.pk), {"next": "https://evil.example/"})
    assert response["Location"] == url("task", task.pk)


def test_ticking_a_checklist_item_through_htmx(task: Task, carol: Member) -> None:
    client = client_for(carol)
    response = client.post(url("task-check", task.pk, 1), {"done": "1"}, headers=HTMX)
    assert response.status_code == 200
    assert response.content.decode().count("☑") == 1
    task.refresh_from_db()
    assert task.checklist == [{"text": "Check usage", "done": False}, {"text": "Call champion", "done": True}]
    client.post(url("task-check", task.pk, 1), {"done": "0"}, headers=HTMX)
    task.refresh_from_db()
    assert task.checklist_done == 0
    assert client.post(url("task-check", task.pk, 5), {"done": "1"}, headers=HTMX).status_code == 400


def test_a_csm_outside_the_book_cannot_work_the_task_unless_they_own_it(
    task: Task, account: Account, dave: Member, today: dt.date
) -> None:
    client = client_for(dave)
    assert client.post(url("task-complete", task.pk), {}).status_code == 403
    theirs = services.task_create(account=account, title="Bootcamp", kind="onboarding", due_on=today, owner=dave)
    assert client.post(url("task-complete", theirs.pk), {}).status_code == 302
    # Nor may Dave add tasks to Carol's account.
    response = client.post(
        url("task-new"), {"account": account.pk, "title": "x", "kind": "call", "due_on": "2030-01-01"}
    )
    assert response.status_code == 403


def test_create_from_the_account_page(account: Account, carol: Member, today: dt.date) -> None:
    client = client_for(carol)
    page = client.get(reverse("account", args=["acme", account.pk])).content.decode()
    assert 'id="tasks"' in page and "Add a task" in page
    next_url = reverse("account", args=["acme", account.pk]) + "#tasks"
    response = client.post(
        url("task-new"),
        {"account": account.pk, "title": "Call the sponsor", "kind": "call", "due_on": today.isoformat(),
         "owner": carol.pk, "priority": "normal", "next": next_url},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == next_url
    created = Task.objects.get(title="Call the sponsor")
    assert (created.owner, created.created_by, created.source) == (carol, carol, "manual")
    page = client.get(reverse("account", args=["acme", account.pk])).content.decode()
    assert "Call the sponsor" in page


def test_create_form_shows_errors_and_writes_nothing(account: Account, carol: Member) -> None:
    response = client_for(carol).post(
        url("task-new"), {"account": account.pk, "title": "", "kind": "call", "due_on": "x"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors.keys() >= {"title", "due_on"}
    assert not Task.objects.exists()
    page = client_for(carol).get(url("task-new") + f"?account={account.pk}")
    assert page.status_code == 200 and page.context["form"].initial["account"] == account


def test_task_page_edit_cancel_reopen(task: Task, carol: Member, dave: Member) -> None:
    client = client_for(carol)
    page = client.get(url("task", task.pk))
    assert page.status_code == 200 and "Check usage" in page.content.decode()
    assert "[ ]" not in page.context["edit_form"].initial["checklist"]
    response = client.post(
        url("task-edit", task.pk),
        {"title": "Risk review", "kind": "review", "priority": "urgent", "due_on": "2030-01-02", "owner": dave.pk,
         "description": "", "checklist": "[x] Check usage\nCall champion\nAgree a plan"},
    )  # fmt: skip
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.title, task.priority, task.owner) == ("Risk review", "urgent", dave)
    assert task.checklist == [
        {"text": "Check usage", "done": True}, {"text": "Call champion", "done": False},
        {"text": "Agree a plan", "done": False},
    ]  # fmt: skip
    bad = client.post(url("task-edit", task.pk), {"title": "", "kind": "review", "priority": "x", "due_on": ""})
    assert bad.status_code == 400
    client.post(url("task-cancel", task.pk), {"reason": "Merged into the QBR"})
    task.refresh_from_db()
    assert task.status == "cancelled" and task.outcome == "Merged into the QBR"
    client.post(url("task-reopen", task.pk))
    task.refresh_from_db()
    assert task.is_open


def test_team_view_is_for_managers(task: Task, account: Account, carol: Member, mark: Member, today: dt.date) -> None:
    assert client_for(carol).get(url("tasks-team")).status_code == 403
    unowned = services.task_create(account=account, title="Unowned", kind="other", due_on=today)
    Task.objects.filter(pk=unowned.pk).update(owner=None)  # as tasks could be before every task got an owner
    client = client_for(mark)
    response = client.get(url("tasks-team"))
    assert response.status_code == 200
    assert [t.title for t in response.context["tasks"]] == ["Risk review: Globex", "Unowned"]
    loads = {
        (load.owner.pk if load.owner else None): (load.open, load.overdue)
        for load in response.context["team"].per_owner
    }
    assert loads[carol.pk] == (1, 1) and loads[None] == (1, 0)
    response = client.get(url("tasks-team"), {"owner": "none"})
    assert [t.title for t in response.context["tasks"]] == ["Unowned"]
    response = client.get(url("tasks-team"), {"overdue": "on"})
    assert [t.title for t in response.context["tasks"]] == ["Risk review: Globex"]
    response = client.get(url("tasks-team"), {"owner": "99999"})
    assert response.status_code == 400


def test_a_manager_sets_who_a_csm_reports_to_and_escalations_follow(
    carol: Member, dave: Member, mark: Member, alice: Member, vic: Member
) -> None:
    client = client_for(mark)
    edit = reverse("member-edit", args=["acme", carol.pk])
    response = client.post(edit, {"manager": dave.pk, "csm_kind": "enterprise", "capacity_unit": "", "capacity": ""})
    assert response.status_code == 302
    carol.refresh_from_db()
    assert carol.manager == dave and selectors.manager_of(carol) == dave
    assert "Dave" in client.get(reverse("members", args=["acme"])).content.decode()
    # Dave cannot report to Carol now: that would be a circle. Viewers cannot take escalations.
    response = client.post(reverse("member-edit", args=["acme", dave.pk]), {"manager": carol.pk})
    assert response.status_code == 400 and "already reports to" in response.content.decode()
    response = client.post(reverse("member-edit", args=["acme", dave.pk]), {"manager": vic.pk})
    assert response.status_code == 400
    dave.refresh_from_db()
    assert dave.manager is None and selectors.manager_of(dave) == mark
    assert client_for(carol).post(edit, {"manager": ""}).status_code == 403


def test_playbook_made_tasks_name_their_playbook(task: Task, carol: Member, mark: Member, workspace: Workspace) -> None:
    from pathlib import Path

    from retain.playbooks.services import playbook_save

    source = Path(__file__).resolve().parents[2] / "playbooks" / "defaults" / "health-turned-red.yaml"
    playbook_save(workspace=workspace, definition_yaml=source.read_text(), actor=mark)
    for page in (url("tasks"), url("task", task.pk), reverse("account", args=["acme", task.account_id])):
        html = client_for(carol).get(page).content.decode()
        assert "from playbook Health turned red — risk review" in html, page


def test_my_tasks_page_queries_do_not_grow_with_the_tasks(account: Account, carol: Member, today: dt.date) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client_for(carol).get(url("tasks")).status_code == 200
        return len(queries)

    services.task_create(account=account, title="One", kind="call", due_on=today, owner=carol, checklist=["a"])
    few = count()
    for n in range(12):
        due = today + dt.timedelta(days=n - 4)
        services.task_create(account=account, title=f"T{n}", kind="call", due_on=due, owner=carol, checklist=["a"])
    assert count() == few
