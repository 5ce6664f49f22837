"""A workspace goes out as one archive and comes back, row for row, as a new workspace."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from retain.accounts import services as account_services
from retain.accounts.choices import ImportKind, ImportStatus
from retain.accounts.models import Account, Contact, ImportRun, TimelineEntry
from retain.demo.generator import build_demo, demo_delete
from retain.demo.generator.context import DemoContext
from retain.health.models import WarehouseConnection, WarehouseMeasure, WarehouseRun, WarehouseValue
from retain.health.services import pulse_set
from retain.messaging.services import suppression_add
from retain.ownership import services
from retain.ownership.archive import ArchiveError
from retain.ownership.loader import Loader
from retain.ownership.tables import EMBEDDED_IDS, WATERMARKS, owned_tables
from retain.plans.services import shared_link_create
from retain.playbooks.models import DigestItem, Enrollment, ScanMark
from retain.playbooks.services import snooze_set
from retain.risk.models import ChurnModelRun, ChurnRisk
from retain.routing.models import ChannelLink, Correction, InboundMessage
from retain.tasks.models import Task
from retain.team.choices import AssignmentVia
from retain.team.models import Assignment, BalanceMove, BalancePlan
from retain.tenancy.choices import JobName
from retain.tenancy.jobs import run_for_workspace
from retain.tenancy.models import Member, Workspace
from retain.tenancy.services import api_token_create, invitation_create, write_key_create
from retain.usage.models import IngestRejection, RollupDirty, RollupState, UnmatchedGroup, UsageEvent

# Its module-scoped fixture is built once: the module's tests share one xdist worker (--dist loadgroup).
pytestmark = pytest.mark.xdist_group("test_export_import")

TODAY = dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[DemoContext]:
    """A small but complete demo workspace (every build step), shared by the module."""
    with django_db_blocker.unblock():
        ctx = build_demo(seed=3, size=40, raw_days=30, today=TODAY)
        yield ctx
        demo_delete()


def _complete(demo: DemoContext) -> None:
    """A row in each table the demo leaves empty, through the services where there is one."""
    ws = demo.ws
    admin = Member.objects.filter(workspace=ws, role="admin").first()
    account = Account.objects.filter(workspace=ws).order_by("pk").first()
    assert admin is not None and account is not None
    api_token_create(member=admin, name="script")
    invitation_create(workspace=ws, actor=admin, email="new.csm@vendor.example", role="csm")
    key, _raw = write_key_create(workspace=ws, name="Product")
    IngestRejection.objects.create(
        workspace=ws, write_key=key, received_at=timezone.now(), reason="no event name", excerpt="{}"
    )
    RollupDirty.objects.create(workspace=ws, account=account)
    # A groupId an admin linked to an account (the account reference is remapped on import).
    UnmatchedGroup.objects.create(
        workspace=ws, group_id="typo-1", calls=2, first_seen_at=timezone.now(), last_seen_at=timezone.now(),
        account=account, resolved_at=timezone.now(), resolved_by=admin,
    )  # fmt: skip
    ImportRun.objects.create(
        workspace=ws, kind=ImportKind.ACCOUNTS, filename="crm.csv", status=ImportStatus.APPLIED, created_by=admin
    )
    pulse_set(account=account, actor=admin, value=2, note="quiet lately")
    suppression_add(workspace=ws, email="nobody@customer.example", reason="manual")
    shared_link_create(account=account, actor=admin)
    snooze_set(account=account, until=TODAY + dt.timedelta(days=7), reason="holidays", actor=admin)
    enrollment = Enrollment.objects.filter(workspace=ws).order_by("pk").first()
    assert enrollment is not None
    DigestItem.objects.create(
        workspace=ws,
        member=admin,
        day=TODAY,
        account_id=enrollment.account_id,
        enrollment=enrollment,
        step_index=0,
        text="Health turned red",
    )
    # Forty accounts are too few for a usable churn model (the quality gate keeps its run, scores
    # nobody): a score as a usable run would have written it.
    run = ChurnModelRun.objects.filter(workspace=ws).latest("trained_at")
    ChurnRisk.objects.create(
        workspace=ws,
        account=account,
        day=TODAY,
        probability=0.25,
        reasons=[{"feature": "nps", "value": 3, "effect": 0.1}],
        run=run,
    )
    # The nightly jobs' record of the workspace (its job runs) travels with it.
    run_for_workspace(JobName.HEALTH_NIGHTLY, ws, lambda workspace: 0)
    # Forty accounts leave some of the team's and routing's tables empty: a row in each.
    if not Assignment.objects.filter(workspace=ws).exists():
        Assignment.objects.create(workspace=ws, account=account, owner=admin, via=AssignmentVia.values[0],
                                  reason="Assigned by hand", actor=admin)  # fmt: skip
    plan = BalancePlan.objects.filter(workspace=ws).first()
    if plan is not None and not BalanceMove.objects.filter(plan=plan).exists():
        BalanceMove.objects.create(plan=plan, account=account, from_owner=admin, to_owner=admin, why="A test move")
    if not ChannelLink.objects.filter(workspace=ws).exists():
        ChannelLink.objects.create(workspace=ws, channel_id="C0123", account=account)
    question = InboundMessage.objects.filter(workspace=ws).order_by("pk").first()
    if question is not None and not Correction.objects.filter(workspace=ws).exists():
        Correction.objects.create(workspace=ws, message=question, from_desk=question.desk or "triage",
                                  to_desk="csm", by=admin)  # fmt: skip
    # A warehouse connection, a measure on it, a stored value and the run that stored it.
    warehouse = WarehouseConnection.objects.create(workspace=ws, name="Lake", url="duckdb:////srv/lake.duckdb")
    measure = WarehouseMeasure.objects.create(
        workspace=ws, connection=warehouse, key="seats_used", name="Seats used", sql="SELECT 1"
    )
    WarehouseValue.objects.create(workspace=ws, measure=measure, account=account, day=TODAY, value=8)
    WarehouseRun.objects.create(workspace=ws, connection=warehouse, measure=measure, kind="measure",
                                started_at=timezone.now(), finished_at=timezone.now(), rows=1, matched=1)  # fmt: skip


@pytest.fixture(scope="module")
def archive(demo: DemoContext, django_db_blocker: Any) -> bytes:
    out = io.BytesIO()
    with django_db_blocker.unblock():
        _complete(demo)
        services.workspace_export(actor=None, workspace=demo.ws, out=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def copy(demo: DemoContext, archive: bytes, django_db_blocker: Any) -> Iterator[Workspace]:
    with django_db_blocker.unblock():
        workspace = services.workspace_import(actor=None, source=io.BytesIO(archive), slug="demo-copy")
        yield workspace
        services.workspace_delete(actor=None, workspace=workspace)


def _rows(label: str, workspace: Workspace) -> list[dict[str, Any]]:
    spec = next(t for t in owned_tables() if t.label == label)
    return list(spec.rows_of(workspace.pk).order_by("pk").values(*spec.column_names))


def test_the_archive_has_every_owned_table_as_csv_and_json_with_a_manifest(archive: bytes, demo: DemoContext) -> None:
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
        contacts_csv = zf.read("csv/accounts.contact.csv").decode().splitlines()
    listed = {entry["name"]: entry for entry in manifest["tables"]}
    assert set(listed) == {spec.label for spec in owned_tables()} | {"users"}
    for entry in listed.values():
        assert {entry["csv"], entry["json"]} <= names
    assert manifest["workspace"]["slug"] == demo.ws.slug
    # The book's 40 accounts and the former customers the generator writes beside them.
    assert listed["accounts.account"]["rows"] == len(demo.world.accounts) > 40
    assert contacts_csv[0].split(",")[:3] == ["id", "workspace_id", "account_id"]
    assert len(contacts_csv) - 1 == listed["accounts.contact"]["rows"] > 0
    assert "password" not in " ".join(listed["users"]["columns"])


@pytest.mark.django_db
def test_the_demo_comes_back_row_for_row_with_every_reference_remapped(demo: DemoContext, copy: Workspace) -> None:
    """Rows are compared in id order, column by column; a foreign key must point at the copy of its target."""
    new_of: dict[str, dict[int, int]] = {"users": {}}
    old_members = _rows("tenancy.member", demo.ws)
    checked = 0
    for spec in owned_tables():
        old_rows, new_rows = _rows(spec.label, demo.ws), _rows(spec.label, copy)
        if spec.label == "tenancy.auditentry":
            # The original's log gains the export itself, written after the archive was read.
            [recorded] = [row for row in old_rows if row["action"] == "export" and row["target"] == "whole workspace"]
            old_rows = [row for row in old_rows if row is not recorded]
        assert len(new_rows) == len(old_rows), spec.label
        new_of[spec.label] = {o["id"]: n["id"] for o, n in zip(old_rows, new_rows, strict=True)}
        if spec.label == "tenancy.workspace":
            continue
        special = {c for (t, c) in [*WATERMARKS, *EMBEDDED_IDS] if t == spec.label}
        # Key and token hashes are unique in the database: beside the original the copy gets a
        # fresh hash and is revoked (one key cannot open two workspaces).
        credentials = {
            c.attname for c in spec.columns if c.unique and not c.primary_key and c.attname not in spec.links
        }
        special |= credentials | ({"revoked_at"} if credentials else set())
        for old, new in zip(old_rows, new_rows, strict=True):
            for column in spec.column_names:
                if column == "id" or column in special:
                    continue
                target = spec.links.get(column)
                if target == "users":
                    assert new[column] == old[column]  # the same logins: matched by e-mail
                elif target is not None and old[column] is not None:
                    assert new[column] == new_of[target][old[column]], (spec.label, column)
                else:
                    assert new[column] == old[column], (spec.label, column)
                checked += 1
    assert checked > 10_000
    assert [spec.label for spec in owned_tables() if not new_of[spec.label]] == [], "every table is round-tripped"
    assert len(old_members) == Member.objects.filter(workspace=copy).count() > 0
    for label in ("tenancy.apitoken", "tenancy.writekey", "plans.sharedlink"):
        spec = next(t for t in owned_tables() if t.label == label)
        for old, new in zip(_rows(label, demo.ws), _rows(label, copy), strict=True):
            assert new["key_hash" if "key_hash" in old else "token_hash"] != old.get("key_hash", old.get("token_hash"))
            assert new["revoked_at"] is not None, label


@pytest.mark.django_db
def test_watermarks_and_ids_inside_json_follow_their_rows(demo: DemoContext, copy: Workspace) -> None:
    for ws in (demo.ws, copy):
        state = RollupState.objects.get(workspace=ws)
        # Every event at or below the watermark is folded, none above: the same count on both sides.
        assert (
            UsageEvent.objects.filter(workspace=ws, pk__gt=state.last_event_id).count()
            == UsageEvent.objects.filter(
                workspace=demo.ws, pk__gt=RollupState.objects.get(workspace=demo.ws).last_event_id
            ).count()
        )
    for mark in ScanMark.objects.filter(workspace=copy):
        assert mark.last_entry_id == 0 or TimelineEntry.objects.filter(pk=mark.last_entry_id, workspace=copy).exists()
    made = [e for e in Enrollment.objects.filter(workspace=copy) if e.context.get("tasks")]
    assert made, "the demo's playbooks made tasks"
    for enrollment in made:
        for task_id in enrollment.context["tasks"].values():
            assert Task.objects.filter(pk=task_id, workspace=copy, account_id=enrollment.account_id).exists()


@pytest.mark.django_db
def test_importing_into_an_existing_workspace_is_refused(demo: DemoContext, archive: bytes) -> None:
    with pytest.raises(ValidationError) as caught:
        services.workspace_import(actor=None, source=io.BytesIO(archive), slug=demo.ws.slug)
    assert "workspace" in caught.value.message_dict


@pytest.mark.django_db
def test_a_changed_file_is_refused_and_nothing_is_written(demo: DemoContext, archive: bytes) -> None:
    damaged = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "json/accounts.account.jsonl":
                data = data.replace(b'"name": "', b'"name": "X', 1)
            target.writestr(item, data)
    with pytest.raises(ArchiveError, match=r"json/accounts.account.jsonl: SHA-256"):
        services.workspace_import(actor=None, source=io.BytesIO(damaged.getvalue()), slug="damaged")
    assert not Workspace.objects.filter(slug="damaged").exists()


@pytest.mark.django_db
def test_a_dangling_reference_names_the_file_line_and_column(demo: DemoContext, archive: bytes) -> None:
    """A hand-edited archive (with its manifest recomputed) that points at a missing row is refused whole."""
    import hashlib

    edited = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as source:
        manifest = json.loads(source.read("manifest.json"))
        files = {item.filename: source.read(item) for item in source.infolist()}
    lines = files["json/accounts.contact.jsonl"].decode().splitlines()
    row = json.loads(lines[1])
    row["account_id"] = 987_654_321
    lines[1] = json.dumps(row)
    files["json/accounts.contact.jsonl"] = ("\n".join(lines) + "\n").encode()
    for entry in manifest["tables"]:
        if entry["name"] == "accounts.contact":
            entry["sha256"]["json"] = hashlib.sha256(files["json/accounts.contact.jsonl"]).hexdigest()
    files["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(edited, "w") as target:
        for name, data in files.items():
            target.writestr(name, data)
    with pytest.raises(ArchiveError, match=r"json/accounts.contact.jsonl, line 2: account_id 987654321"):
        services.workspace_import(actor=None, source=io.BytesIO(edited.getvalue()), slug="dangling")
    assert not Workspace.objects.filter(slug="dangling").exists()


def test_the_loader_refuses_a_table_this_retain_does_not_have() -> None:
    class FakeArchive:
        tables: dict[str, Any] = {"accounts.spaceship": {}}

    with pytest.raises(ArchiveError, match=r"accounts\.spaceship"):
        Loader(FakeArchive(), lambda table, rows: None)  # type: ignore[arg-type]  # a stand-in archive: the test needs only its refusal


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_rows_written_during_an_export_are_not_half_in_it(workspace: Workspace, account: Any) -> None:
    """An account and its contact committed by another connection mid-export (after the accounts
    table was read, before contacts) must not leave the contact in the archive without its account."""

    def write_elsewhere() -> None:
        try:
            late = account_services.account_create(workspace=workspace, actor=None, via="test", name="Late Co")
            account_services.contact_create(account=late, actor=None, via="test", email="late@late.example")
        finally:
            connection.close()

    done: list[str] = []

    def progress(table: str, rows: int) -> None:
        # Called once the accounts query has run, before the contacts are read.
        if table == "accounts.account" and not done:
            done.append(table)
            writer = threading.Thread(target=write_elsewhere)
            writer.start()
            writer.join(timeout=30)

    out = io.BytesIO()
    services.workspace_export(actor=None, workspace=workspace, out=out, progress=progress)
    assert done and Contact.objects.filter(email="late@late.example").exists()
    copy = services.workspace_import(actor=None, source=io.BytesIO(out.getvalue()), slug="snapshot")
    assert list(Account.objects.filter(workspace=copy).values_list("name", flat=True)) == ["Globex"]
    assert not Contact.objects.filter(workspace=copy).exists()
