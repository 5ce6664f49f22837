"""The team's API: coverage model, assignments, balancing, hand-offs, cadence, groups, stakeholders and
notifications, each with who may (a viewer 403, a CSM outside their book 403, an outsider 404)."""

from __future__ import annotations

from retain.accounts import services as account_services
from retain.accounts.models import Account, Contact
from retain.api.tests.conftest import ClientFor
from retain.team.choices import AssignmentVia, NotificationKind
from retain.team.coverage import DEFAULT_SOURCE
from retain.team.models import Assignment, CoverageModel, Handoff, Notification, Stakeholder, Subsidiary
from retain.tenancy.models import Member, Workspace

API = "/api/v1"


def _errors(response: object) -> dict[str, list[str]]:
    return response.json()["errors"]  # type: ignore[attr-defined, no-any-return]  # a DRF test response


def test_the_coverage_model_is_read_by_all_and_replaced_by_managers_with_line_and_column_errors(
    client_for: ClientFor, mark: Member, carol: Member, vic: Member
) -> None:
    got = client_for(vic).get(f"{API}/team/coverage/")
    assert got.status_code == 200 and got.json()["is_default"] is True and got.json()["source"] == DEFAULT_SOURCE
    bad = DEFAULT_SOURCE.replace("max_accounts: 15", "max_accounts: many")
    line = next(i for i, row in enumerate(bad.splitlines(), 1) if "max_accounts: many" in row)
    refused = client_for(mark).put(f"{API}/team/coverage/", {"source": bad}, format="json")
    assert refused.status_code == 400
    assert f"coverage.yaml:{line}:5: tiers.strategic.max_accounts: must be a whole number" in _errors(refused)["source"]
    assert not CoverageModel.objects.exists()
    assert client_for(carol).put(f"{API}/team/coverage/", {"source": DEFAULT_SOURCE}, format="json").status_code == 403
    saved = client_for(mark).put(f"{API}/team/coverage/", {"source": DEFAULT_SOURCE}, format="json")
    assert saved.status_code == 200 and saved.json()["is_default"] is False
    assert CoverageModel.objects.get().updated_by == mark


def test_a_manager_gives_accounts_by_hand_with_a_reason_and_the_list_says_why(
    client_for: ClientFor, account: Account, mark: Member, carol: Member, dave: Member, olga: Member
) -> None:
    body = {"accounts": [account.pk], "owner": dave.pk, "reason": "Carol is on leave"}
    assert client_for(carol).post(f"{API}/team/reassign/", body, format="json").status_code == 403
    missing = client_for(mark).post(f"{API}/team/reassign/", {**body, "reason": ""}, format="json")
    assert missing.status_code == 400 and "reason" in _errors(missing)
    foreign = client_for(olga).post(f"{API}/team/reassign/", body, format="json")
    assert foreign.status_code == 400 and "accounts.0" in _errors(foreign)
    done = client_for(mark).post(f"{API}/team/reassign/", body, format="json")
    assert done.status_code == 200, done.content
    account.refresh_from_db()
    assert account.owner == dave
    row = Assignment.objects.get(account=account, via=AssignmentVia.BY_HAND)
    assert row.previous_owner == carol and row.reason == "Given to Dave by hand: Carol is on leave"
    assert Notification.objects.filter(member=dave, kind=NotificationKind.ACCOUNT_ASSIGNED, account=account).exists()
    listed = client_for(carol).get(f"{API}/team/assignments/?account={account.pk}").json()
    assert [r["reason"] for r in listed["results"]] == [row.reason]
    csv = client_for(carol).get(f"{API}/team/assignments/?format=csv")
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode().splitlines()
    assert lines[0].startswith("id,account,owner,previous_owner,via,reason") and "Carol is on leave" in lines[1]
    assert client_for(olga).get(f"{API}/team/assignments/").json()["count"] == 0


def test_a_manager_proposes_previews_and_applies_a_balancing_plan(
    client_for: ClientFor, workspace: Workspace, mark: Member, carol: Member, vic: Member
) -> None:
    for i in range(3):
        account_services.account_create(
            workspace=workspace, actor=None, via="test", name=f"Book {i}", tier="enterprise", owner=carol
        )
    assert client_for(vic).post(f"{API}/team/balance-plans/").status_code == 403
    made = client_for(mark).post(f"{API}/team/balance-plans/")
    assert made.status_code == 201
    plan = made.json()
    carol_row = next(r for r in plan["preview"] if r["member"] == carol.pk)
    assert carol_row["before"]["accounts"] == 3 and set(carol_row["after"]) == {
        "accounts",
        "arr",
        "red",
        "renewals_90d",
    }
    assert client_for(carol).get(f"{API}/team/balance-plans/{plan['id']}/").status_code == 403
    applied = client_for(mark).post(f"{API}/team/balance-plans/{plan['id']}/apply/")
    assert applied.status_code == 200 and applied.json()["plan"]["status"] == "applied"
    assert applied.json()["moved"] == len([m for m in plan["moves"] if m["included"]])


def test_a_handoff_is_recorded_by_whoever_edits_the_account(
    client_for: ClientFor, account: Account, carol: Member, dave: Member, vic: Member, olga: Member
) -> None:
    body = {"account": account.pk, "sold": "Marketing Hub Enterprise", "goals": ["Double inbound leads"]}
    assert client_for(vic).post(f"{API}/handoffs/", body, format="json").status_code == 403
    assert client_for(dave).post(f"{API}/handoffs/", body, format="json").status_code == 403
    assert client_for(olga).post(f"{API}/handoffs/", body, format="json").status_code == 400
    empty = client_for(carol).post(f"{API}/handoffs/", {**body, "sold": " "}, format="json")
    assert empty.status_code == 400 and "sold" in _errors(empty)
    made = client_for(carol).post(f"{API}/handoffs/", body, format="json")
    assert made.status_code == 201 and made.json()["source"] == "api"
    assert Handoff.objects.get(account=account).goals == ["Double inbound leads"]
    assert client_for(vic).get(f"{API}/handoffs/").json()["count"] == 1
    assert client_for(olga).get(f"{API}/handoffs/").json()["count"] == 0
    empty = client_for(olga).get(f"{API}/handoffs/?format=csv")
    assert empty["Content-Type"].startswith("text/csv") and empty.content.decode().startswith("id,account,sold,")


def test_cadence_lists_the_overdue_and_answers_per_account(
    client_for: ClientFor, account: Account, carol: Member, vic: Member, olga: Member
) -> None:
    Account.objects.filter(pk=account.pk).update(stage="adoption")
    rows = client_for(vic).get(f"{API}/team/cadence/").json()["results"]
    assert [r["account"] for r in rows] == [account.pk] and rows[0]["status"] == "never"
    assert client_for(vic).get(f"{API}/team/cadence/?owner=x").status_code == 400
    one = client_for(vic).get(f"{API}/accounts/{account.pk}/cadence/").json()
    assert one["status"] == "never" and one["every_days"] == 14
    assert client_for(olga).get(f"{API}/accounts/{account.pk}/cadence/").status_code == 404


def test_a_group_is_linked_rolled_up_and_cleared(
    client_for: ClientFor, workspace: Workspace, account: Account, mark: Member, dave: Member, olga: Member
) -> None:
    child = account_services.account_create(workspace=workspace, actor=None, via="test", name="Globex Nordics")
    url = f"{API}/accounts/{child.pk}/parent/"
    assert client_for(dave).put(url, {"parent": account.pk}, format="json").status_code == 403
    assert client_for(olga).put(url, {"parent": account.pk}, format="json").status_code == 404
    self_link = client_for(mark).put(f"{API}/accounts/{account.pk}/parent/", {"parent": account.pk}, format="json")
    assert self_link.status_code == 400 and "child" in _errors(self_link)
    linked = client_for(mark).put(url, {"parent": account.pk}, format="json")
    assert linked.status_code == 200 and linked.json()["parent"] == account.pk
    group = client_for(dave).get(f"{API}/accounts/{account.pk}/group/").json()
    assert [a["name"] for a in group["accounts"]] == ["Globex", "Globex Nordics"]
    assert group["arr"] == f"{account.arr:.2f}" and group["open_renewals"] >= 0
    assert client_for(mark).delete(url).json()["parent"] is None
    assert not Subsidiary.objects.exists()


def test_the_stakeholder_map_is_read_and_placed_by_whoever_edits_the_account(
    client_for: ClientFor, workspace: Workspace, account: Account, jane: Contact, carol: Member, vic: Member
) -> None:
    url = f"{API}/accounts/{account.pk}/stakeholders/"
    got = client_for(vic).get(url).json()
    assert [s["name"] for s in got["stakeholders"]] == [str(jane)] and got["gaps"]
    body = {
        "contact": jane.pk, "role": "admin", "influence": "decision_maker", "sentiment": "positive",
        "is_executive_sponsor": True,
    }  # fmt: skip
    assert client_for(vic).patch(url, body, format="json").status_code == 403
    other = account_services.account_create(workspace=workspace, actor=None, via="test", name="Initech", owner=carol)
    bob = account_services.contact_create(account=other, actor=None, via="test", email="bob@initech.example")
    wrong = client_for(carol).patch(url, {**body, "contact": bob.pk}, format="json")
    assert wrong.status_code == 400 and "contact" in _errors(wrong)
    bad = client_for(carol).patch(url, {**body, "influence": "king"}, format="json")
    assert bad.status_code == 400 and "influence" in _errors(bad)
    placed = client_for(carol).patch(url, body, format="json")
    assert placed.status_code == 200 and placed.json()["stakeholders"][0]["is_executive_sponsor"] is True
    row = Stakeholder.objects.get(contact=jane)
    assert (row.influence, row.sentiment) == ("decision_maker", "positive")
    jane.refresh_from_db()
    assert jane.role == "admin" and placed.json()["stakeholders"][0]["role"] == "admin"


def test_notifications_are_only_ones_own_and_marked_read(
    client_for: ClientFor, workspace: Workspace, carol: Member, dave: Member
) -> None:
    mine = [
        Notification.objects.create(workspace=workspace, member=carol, kind="mention", text=f"Note {i}")
        for i in range(2)
    ]
    theirs = Notification.objects.create(workspace=workspace, member=dave, kind="mention", text="For Dave")
    client = client_for(carol)
    listed = client.get(f"{API}/notifications/?unread=true").json()
    assert sorted(r["text"] for r in listed["results"]) == ["Note 0", "Note 1"]
    assert client.get(f"{API}/notifications/?unread=maybe").status_code == 400
    refused = client.post(f"{API}/notifications/read/", {"ids": [mine[0].pk, theirs.pk]}, format="json")
    assert refused.status_code == 400 and "ids" in _errors(refused)
    one = client.post(f"{API}/notifications/read/", {"ids": [mine[0].pk]}, format="json").json()
    assert one == {"marked": 1, "unread": 1}
    assert client.post(f"{API}/notifications/read/", {}, format="json").json() == {"marked": 1, "unread": 0}
    theirs.refresh_from_db()
    assert theirs.read_at is None
    csv = client.get(f"{API}/notifications/?format=csv").content.decode().splitlines()
    assert csv[0] == "id,kind,text,account,task,actor,created_at,read_at,is_read" and len(csv) == 3
