"""The team's reports over the API: education attendance (list, CSV import), time in stage and
portfolio targets; outsiders see nothing of the workspace, viewers cannot write."""

from __future__ import annotations

import datetime as dt

from retain.accounts import services as account_services
from retain.accounts.models import Account
from retain.accounts.selectors import workspace_today
from retain.api.tests.conftest import ClientFor
from retain.team.models import Learning, PortfolioTarget
from retain.tenancy.models import Member, Workspace


def test_attendees_are_imported_all_or_nothing_and_listed_in_the_workspace_only(
    client_for: ClientFor, workspace: Workspace, account: Account, carol: Member, vic: Member, olga: Member
) -> None:
    account_services.contact_create(account=account, actor=None, via="test", email="ann@globex.example")
    today = workspace_today(workspace)
    carol_api = client_for(carol)
    bad = carol_api.post(
        "/api/v1/learnings/import/",
        {
            "csv": "email,session,kind,date\n"
            f"ann@globex.example,Intro,webinar,{today}\nann@globex.example,Intro,x,{today}\n"
        },
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json() == {
        "errors": {"kind": ["attendees.csv:3:3: 'x' is not one of training, webinar, bootcamp, article"]}
    }
    assert not Learning.objects.exists()
    good = carol_api.post(
        "/api/v1/learnings/import/",
        {"csv": f"email,session,kind,date\nann@globex.example,Intro,webinar,{today}\n", "filename": "may.csv"},
        format="json",
    )
    assert good.status_code == 201 and good.json() == {"rows": 1, "created": 1, "unchanged": 0, "accounts": 1}
    listed = carol_api.get(f"/api/v1/learnings/?account={account.pk}&kind=webinar").json()
    assert [(r["session"], r["contact_email"]) for r in listed["results"]] == [("Intro", "ann@globex.example")]
    viewer = client_for(vic)
    assert viewer.get("/api/v1/learnings/").json()["count"] == 1
    assert viewer.post("/api/v1/learnings/import/", {"csv": "x"}, format="json").status_code == 403
    assert client_for(olga).get("/api/v1/learnings/").json()["count"] == 0


def test_time_in_stage_over_the_api(
    client_for: ClientFor, workspace: Workspace, account: Account, vic: Member, olga: Member
) -> None:
    today = workspace_today(workspace)
    Account.objects.filter(pk=account.pk).update(stage="adoption", stage_entered_on=today - dt.timedelta(days=200))
    data = client_for(vic).get("/api/v1/time-in-stage/").json()
    assert [(c["stage"], c["tier"], c["median"], c["over"]) for c in data["cells"]] == [
        ("adoption", "enterprise", 200, 1)
    ]
    assert data["over"][0]["over_by"] == 20 and data["expected_days"]["adoption"]["enterprise"] == 180
    assert client_for(olga).get("/api/v1/time-in-stage/").json()["accounts"] == 0


def test_targets_are_set_by_managers_and_read_by_members(
    client_for: ClientFor, workspace: Workspace, mark: Member, carol: Member, olga: Member
) -> None:
    due = (workspace_today(workspace) + dt.timedelta(days=90)).isoformat()
    body = {"figure": "qbr_coverage", "target": "90", "due_on": due}
    assert client_for(carol).post("/api/v1/portfolio-targets/", body, format="json").status_code == 403
    created = client_for(mark).post("/api/v1/portfolio-targets/", body, format="json")
    assert created.status_code == 201
    row = created.json()
    assert (row["figure"], row["target"], row["start"]) == ("qbr_coverage", 0.9, None)
    assert "QBR coverage = " in row["formula"] and len(row["history"]) == 12
    assert [t["figure"] for t in client_for(carol).get("/api/v1/portfolio-targets/").json()] == ["qbr_coverage"]
    outsider = client_for(olga)
    assert outsider.get("/api/v1/portfolio-targets/").json() == []
    target = PortfolioTarget.objects.get()
    assert outsider.delete(f"/api/v1/portfolio-targets/{target.pk}/").status_code == 404
    refused = client_for(mark).post("/api/v1/portfolio-targets/", {**body, "due_on": "2000-01-01"}, format="json")
    assert (
        refused.status_code == 400 and "due_on" in refused.json()["errors"]
        if "errors" in refused.json()
        else "due_on" in refused.json()
    )
    assert client_for(mark).delete(f"/api/v1/portfolio-targets/{target.pk}/").status_code == 204
