"""The audit log page and its CSV: admins only (403 for everyone else, 404 for outsiders), filtered
by change, person, days and text, paged."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from retain.tenancy import services as tenancy_services
from retain.tenancy.models import AuditEntry, Member, Workspace
from retain.web.views.audit import PAGE_SIZE

W = "/w/acme/"


def login(member: Member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def test_an_admin_sees_who_changed_what(alice: Member, carol: Member) -> None:
    client = login(alice)
    assert client.post(f"{W}members/{carol.pk}/", {"role": "manager", "is_active": "on"}).status_code == 302
    assert client.post(W + "write-keys/", {"name": "Product"}).status_code == 201
    response = client.get(W + "audit/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Member changed" in body and "role: csm → manager" in body
    assert "Write key created" in body and "Product (wk_" in body
    assert [entry.action for entry, _ in response.context["rows"]][:2] == ["write_key.created", "member.updated"]


def test_only_admins_read_the_audit_log(mark: Member, carol: Member, vic: Member, alice: Member) -> None:
    for member in (mark, carol, vic):
        client = login(member)
        assert client.get(W + "audit/").status_code == 403
        assert client.get(W + "audit.csv").status_code == 403
    assert "Audit log" not in login(mark).get(W + "members/").content.decode()
    assert "Audit log" in login(alice).get(W + "members/").content.decode()


def test_the_audit_log_is_404_for_an_outsider(olga: Member, alice: Member) -> None:
    tenancy_services.write_key_create(workspace=alice.workspace, name="Secret", actor=alice)
    client = login(olga)
    assert client.get(W + "audit/").status_code == 404
    assert client.get(W + "audit.csv").status_code == 404
    # Her own workspace's log does not show Acme's entries.
    response = client.get("/w/other/audit/")
    assert response.status_code == 200
    assert "Secret" not in response.content.decode()


def _entries(workspace: Workspace, actor: Member, count: int, action: str, start: dt.datetime) -> None:
    for n in range(count):
        entry = tenancy_services.audit_record(
            workspace=workspace, actor=actor, action=action, target=f"{action} {n}", detail={"n": n}
        )
        AuditEntry.objects.filter(pk=entry.pk).update(at=start + dt.timedelta(hours=n))


def test_filters_narrow_the_log_and_pages_hold_fifty(workspace: Workspace, alice: Member, mark: Member) -> None:
    start = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0) - dt.timedelta(days=10)
    _entries(workspace, mark, PAGE_SIZE + 5, "playbook.saved", start)
    _entries(workspace, alice, 3, "export", start + dt.timedelta(days=5))
    client = login(alice)
    first = client.get(W + "audit/", {"action": "playbook.saved"})
    assert first.context["page"].paginator.count == PAGE_SIZE + 5
    assert len(first.context["rows"]) == PAGE_SIZE
    second = client.get(W + "audit/", {"action": "playbook.saved", "page": "2"})
    assert [entry.target for entry, _ in second.context["rows"]] == [f"playbook.saved {n}" for n in range(4, -1, -1)]
    by_alice = client.get(W + "audit/", {"actor": str(alice.pk)})
    assert {entry.action for entry, _ in by_alice.context["rows"]} == {"export"}
    day = (start + dt.timedelta(days=5)).date().isoformat()
    on_day = client.get(W + "audit/", {"since": day, "until": day})
    assert sorted(entry.target for entry, _ in on_day.context["rows"]) == ["export 0", "export 1", "export 2"]
    assert client.get(W + "audit/", {"q": "saved 7"}).context["page"].paginator.count == 1


def test_a_bad_filter_is_refused_naming_the_field(alice: Member) -> None:
    response = login(alice).get(W + "audit/", {"since": "2026-05-02", "until": "2026-05-01"})
    assert response.status_code == 400
    assert "must be on or after the From day" in response.content.decode()
    response = login(alice).get(W + "audit.csv", {"action": "coffee.made"})
    assert response.status_code == 400
    assert response.content.decode().startswith("action:")


def test_the_csv_export_has_every_matching_entry_and_is_itself_audited(workspace: Workspace, alice: Member) -> None:
    start = timezone.now() - dt.timedelta(days=1)
    _entries(workspace, alice, PAGE_SIZE + 1, "scorecard.published", start)
    tenancy_services.audit_record(workspace=workspace, actor=alice, action="export", target="=HYPERLINK(evil)")
    response = login(alice).get(W + "audit.csv", {"action": "scorecard.published"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))  # type: ignore[attr-defined]  # a streamed response; the test client types every response as HttpResponse
    assert rows[0] == ["at", "actor", "action", "target_type", "target_id", "target", "detail"]
    assert len(rows) == PAGE_SIZE + 2
    assert rows[1][1:3] == ["Alice", "scorecard.published"] and json.loads(rows[1][6]) == {"n": PAGE_SIZE}
    exported = AuditEntry.objects.filter(workspace=workspace, action="export", target="audit log").get()
    assert exported.detail == {"filters": {"action": "scorecard.published"}}
    everything = login(alice).get(W + "audit.csv")
    text = b"".join(everything.streaming_content).decode()  # type: ignore[attr-defined]  # a streamed response; the test client types every response as HttpResponse
    assert "'=HYPERLINK(evil)" in text  # a spreadsheet shows it as text, never runs it


def test_the_page_costs_the_same_queries_for_five_entries_or_fifty(workspace: Workspace, alice: Member) -> None:
    client = login(alice)
    start = timezone.now() - dt.timedelta(days=1)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(W + "audit/").status_code == 200
        return len(captured)

    _entries(workspace, alice, 5, "export", start)
    few = queries()
    _entries(workspace, alice, PAGE_SIZE, "export", start)
    assert queries() == few
