"""`retain export`, `retain import workspace`, `retain erase contact|workspace`."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from retain.accounts.choices import ContactStatus
from retain.accounts.models import Account, Contact
from retain.tenancy.models import Member, Workspace


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_export_then_import_makes_a_copy_with_the_same_people(
    tmp_path: Path, workspace: Workspace, jane: Contact, alice: Member
) -> None:
    archive = tmp_path / "acme.zip"
    said = run("export", "--workspace", "acme", "--out", str(archive))
    assert archive.is_file() and "rows of workspace 'acme'" in said
    assert not (tmp_path / "acme.zip.partial").exists()

    said = run("import", "workspace", str(archive), "--workspace", "acme-2", "--name", "Acme again")
    copy = Workspace.objects.get(slug="acme-2")
    with zipfile.ZipFile(archive) as zf:
        tables = json.loads(zf.read("manifest.json"))["tables"]
    rows = sum(t["rows"] for t in tables if t["name"] not in ("users", "tenancy.workspace"))
    assert copy.name == "Acme again" and f"imported {rows} rows into workspace 'acme-2'" in said and rows > 3
    assert list(Account.objects.filter(workspace=copy).values_list("name", flat=True)) == ["Globex"]
    assert Contact.objects.get(workspace=copy).email == jane.email
    # The same login is a member of both: matched by e-mail, not duplicated.
    assert Member.objects.get(workspace=copy, role="admin").user_id == alice.user_id


@pytest.mark.django_db
def test_a_dry_run_import_writes_nothing(tmp_path: Path, workspace: Workspace, jane: Contact) -> None:
    archive = tmp_path / "acme.zip"
    run("export", "--workspace", "acme", "--out", str(archive))
    said = run("import", "workspace", str(archive), "--workspace", "acme-2", "--dry-run")
    assert "nothing written" in said
    assert not Workspace.objects.filter(slug="acme-2").exists()


@pytest.mark.django_db
def test_import_errors_are_one_line_naming_the_file(tmp_path: Path, workspace: Workspace) -> None:
    bogus = tmp_path / "bogus.zip"
    bogus.write_bytes(b"not a zip")
    with pytest.raises(CommandError, match=r"bogus\.zip: not a workspace archive"):
        run("import", "workspace", str(bogus), "--workspace", "fresh")
    with pytest.raises(CommandError, match=r"'acme' already exists"):
        archive = tmp_path / "acme.zip"
        run("export", "--workspace", "acme", "--out", str(archive))
        run("import", "workspace", str(archive), "--workspace", "acme")
    with pytest.raises(CommandError, match="no workspace with slug 'nope'"):
        run("export", "--workspace", "nope", "--out", str(tmp_path / "x.zip"))


@pytest.mark.django_db
def test_erase_contact_by_email(workspace: Workspace, jane: Contact) -> None:
    said = run("erase", "contact", "--workspace", "acme", "--email", "JANE@globex.example")
    jane.refresh_from_db()
    assert jane.status == ContactStatus.ERASED and f"Erased contact #{jane.pk}" in said
    assert "jane" not in said.lower()
    with pytest.raises(CommandError, match="no such contact"):
        run("erase", "contact", "--workspace", "acme", "--email", "jane@globex.example")
    with pytest.raises(CommandError, match="already been erased"):
        run("erase", "contact", "--workspace", "acme", "--id", str(jane.pk))


@pytest.mark.django_db
def test_erase_workspace_needs_the_slug_twice(workspace: Workspace, jane: Contact, olga: Member) -> None:
    with pytest.raises(CommandError, match="--confirm acme"):
        run("erase", "workspace", "--workspace", "acme")
    assert Workspace.objects.filter(slug="acme").exists()
    run("erase", "workspace", "--workspace", "acme", "--confirm", "acme")
    assert list(Workspace.objects.values_list("slug", flat=True)) == ["other"]
