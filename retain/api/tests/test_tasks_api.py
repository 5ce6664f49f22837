"""/api/v1/tasks/: list (filterable), create, retrieve, update, complete, cancel, reopen."""

from __future__ import annotations

import datetime as dt

import pytest

from retain.accounts.choices import EntryKind
from retain.accounts.models import Account, TimelineEntry, Touchpoint
from retain.api.tests.conftest import ClientFor
from retain.tasks import selectors, services
from retain.tasks.models import Task
from retain.tenancy.models import Member, Workspace

pytestmark = pytest.mark.urls("retain.api.tests.urls")


@pytest.fixture
def today(workspace: Workspace) -> dt.date:
    return selectors.task_today(workspace)


@pytest.fixture
def task(account: Account, carol: Member, today: dt.date) -> Task:
    return services.task_create(
        account=account,
        title="Risk review: Globex",
        kind="review",
        due_on=today - dt.timedelta(days=1),
        owner=carol,
        priority="high",
        checklist=["Check usage", "Call champion"],
        source="playbook",
        source_ref="playbook:health-turned-red/enrollment:4",
    )


def test_it_lists_and_shows_tasks(task: Task, vic: Member, client_for: ClientFor) -> None:
    client = client_for(vic)
    body = client.get("/api/v1/tasks/").json()
    assert body["count"] == 1
    row = body["results"][0]
    assert (row["id"], row["status"], row["is_overdue"], row["playbook"]) == (
        task.pk, "open", True, "health-turned-red",
    )  # fmt: skip
    assert row["checklist"] == [{"text": "Check usage", "done": False}, {"text": "Call champion", "done": False}]
    assert client.get(f"/api/v1/tasks/{task.pk}/").json()["title"] == "Risk review: Globex"


def test_filters(
    task: Task, account: Account, dave: Member, carol: Member, today: dt.date, client_for: ClientFor
) -> None:
    later = services.task_create(account=account, title="QBR prep", kind="meeting", due_on=today + dt.timedelta(days=9))
    Task.objects.filter(pk=later.pk).update(owner=None)  # as tasks could be before every task got an owner
    client = client_for(carol)

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/tasks/?{query}")
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids(f"owner={carol.pk}") == [task.pk]
    assert ids("unassigned=true") == [later.pk]
    assert ids("overdue=true") == [task.pk]
    assert ids("overdue=false") == [later.pk]
    assert ids("kind=meeting") == [later.pk]
    assert ids("source=playbook") == [task.pk]
    assert ids(f"due_before={today.isoformat()}") == [task.pk]
    assert ids(f"account={account.pk}&status=open") == [task.pk, later.pk]
    assert ids("status=done") == []
    response = client.get("/api/v1/tasks/?kind=dance")
    assert response.status_code == 400 and "kind" in response.json()["errors"]


def test_outsider_gets_404(task: Task, account: Account, olga: Member, client_for: ClientFor) -> None:
    client = client_for(olga)
    assert client.get("/api/v1/tasks/").json()["count"] == 0
    assert client.get(f"/api/v1/tasks/{task.pk}/").status_code == 404
    assert client.patch(f"/api/v1/tasks/{task.pk}/", {"title": "x"}, format="json").status_code == 404
    assert client.post(f"/api/v1/tasks/{task.pk}/complete/", {}, format="json").status_code == 404
    assert client.post(f"/api/v1/tasks/{task.pk}/cancel/", {}, format="json").status_code == 404
    body = {"account": account.pk, "title": "Sneaky", "due_on": "2026-03-01"}
    response = client.post("/api/v1/tasks/", body, format="json")
    assert response.status_code == 400 and "account" in response.json()["errors"]
    assert Task.objects.count() == 1


def test_viewer_and_other_csm_get_403_on_writes(
    task: Task, account: Account, vic: Member, dave: Member, client_for: ClientFor
) -> None:
    for member in (vic, dave):
        client = client_for(member)
        assert client.patch(f"/api/v1/tasks/{task.pk}/", {"title": "x"}, format="json").status_code == 403
        assert client.post(f"/api/v1/tasks/{task.pk}/complete/", {}, format="json").status_code == 403
        body = {"account": account.pk, "title": "Call", "kind": "call", "due_on": "2026-03-01"}
        assert client.post("/api/v1/tasks/", body, format="json").status_code == 403
    task.refresh_from_db()
    assert task.is_open and task.title == "Risk review: Globex"
    assert Task.objects.count() == 1


def test_a_task_owner_works_their_task_on_another_csms_account(
    account: Account, dave: Member, today: dt.date, client_for: ClientFor
) -> None:
    onboarding = services.task_create(
        account=account, title="Run the bootcamp", kind="onboarding", due_on=today, owner=dave
    )
    response = client_for(dave).post(f"/api/v1/tasks/{onboarding.pk}/complete/", {"outcome": "ran"}, format="json")
    assert response.status_code == 200, response.json()


def test_create_defaults_the_owner_to_the_caller(account: Account, carol: Member, client_for: ClientFor) -> None:
    body = {"account": account.pk, "title": "Call", "kind": "call", "due_on": "2026-03-01", "checklist": ["Agenda"]}
    response = client_for(carol).post("/api/v1/tasks/", body, format="json")
    assert response.status_code == 201, response.json()
    row = response.json()
    assert (row["owner"], row["source"], row["priority"], row["created_by"]) == (carol.pk, "manual", "normal", carol.pk)
    assert row["checklist"] == [{"text": "Agenda", "done": False}]
    response = client_for(carol).post("/api/v1/tasks/", {**body, "owner": None}, format="json")
    assert response.json()["owner"] == account.owner_id  # never unassigned: the account's owner


def test_create_refuses_bad_input_naming_the_field(
    account: Account, carol: Member, vic: Member, client_for: ClientFor
) -> None:
    client = client_for(carol)
    base = {"account": account.pk, "title": "Call", "kind": "call", "due_on": "2026-03-01"}
    cases: list[tuple[dict[str, object], str]] = [
        ({"title": ""}, "title"),
        ({"due_on": "soon"}, "due_on"),
        ({"kind": "dance"}, "kind"),
        ({"owner": vic.pk}, "owner"),
        ({"checklist": [{"text": ""}]}, "checklist[0].text"),
    ]
    for change, field in cases:
        response = client.post("/api/v1/tasks/", {**base, **change}, format="json")
        assert response.status_code == 400, change
        assert field in response.json()["errors"], response.json()
    assert not Task.objects.exists()


def test_patch_updates_and_ticks(task: Task, carol: Member, mark: Member, client_for: ClientFor) -> None:
    checklist = [{"text": "Check usage", "done": True}, {"text": "Call champion", "done": False}]
    response = client_for(carol).patch(
        f"/api/v1/tasks/{task.pk}/",
        {"priority": "urgent", "owner": mark.pk, "due_on": "2030-01-02", "checklist": checklist},
        format="json",
    )
    assert response.status_code == 200, response.json()
    row = response.json()
    assert (row["priority"], row["owner"], row["due_on"], row["checklist"]) == (
        "urgent",
        mark.pk,
        "2030-01-02",
        checklist,
    )


def test_complete_writes_the_timeline_and_can_log_a_touchpoint(
    task: Task, account: Account, carol: Member, client_for: ClientFor
) -> None:
    client = client_for(carol)
    response = client.post(
        f"/api/v1/tasks/{task.pk}/complete/", {"outcome": "Usage back up", "log_touchpoint": "call"}, format="json"
    )
    assert response.status_code == 200, response.json()
    row = response.json()
    assert (row["status"], row["outcome"], row["completed_by"], row["is_overdue"]) == (
        "done", "Usage back up", carol.pk, False,
    )  # fmt: skip
    [entry] = TimelineEntry.objects.filter(account=account, kind=EntryKind.TASK_COMPLETED)
    assert entry.summary == "Task done: Risk review: Globex — Usage back up"
    assert Touchpoint.objects.get(account=account).kind == "call"
    again = client.post(f"/api/v1/tasks/{task.pk}/complete/", {}, format="json")
    assert again.status_code == 400 and "status" in again.json()["errors"]
    response = client.post(f"/api/v1/tasks/{task.pk}/reopen/", format="json")
    assert response.status_code == 200 and response.json()["status"] == "open"


def test_complete_refuses_a_bad_touchpoint_kind(task: Task, carol: Member, client_for: ClientFor) -> None:
    response = client_for(carol).post(f"/api/v1/tasks/{task.pk}/complete/", {"log_touchpoint": "fax"}, format="json")
    assert response.status_code == 400 and "log_touchpoint" in response.json()["errors"]
    task.refresh_from_db()
    assert task.is_open


def test_cancel(task: Task, carol: Member, client_for: ClientFor) -> None:
    client = client_for(carol)
    response = client.post(f"/api/v1/tasks/{task.pk}/cancel/", {"reason": "Duplicate"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    response = client.post(f"/api/v1/tasks/{task.pk}/complete/", {}, format="json")
    assert response.status_code == 400 and "cancelled" in response.json()["errors"]["status"][0]
