"""`retain playbooks export|import|simulate|install-defaults`."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from retain.accounts.models import Account
from retain.messaging.models import OutboundMessage
from retain.playbooks.defaults import default_playbooks, playbooks_install_defaults
from retain.playbooks.models import Enrollment, Playbook, StepRun
from retain.tasks.models import Task
from retain.tenancy.models import Workspace

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("playbooks", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def failing(*args: str) -> tuple[str, str]:
    """The CommandError's message and what was written to standard error."""
    err = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("playbooks", *args, stdout=io.StringIO(), stderr=err)
    return str(raised.value), err.getvalue()


BAD = """\
key: second
name: Second
trigger:
  kind: time
  from: subscription_start
  after_days: 3
steps:
  - task: {title: Call, assignee: nobody-role}
"""


def _good(key: str) -> str:
    return (
        f"key: {key}\nname: {key.title()}\ntrigger: {{kind: event, entry: detractor_answered}}\n"
        "steps:\n  - task: {title: 'Call {{ account.name }}', due_in_days: 2}\n"
    )


def test_export_then_import_into_another_workspace(
    workspace: Workspace, other_workspace: Workspace, tmp_path: Path
) -> None:
    playbooks_install_defaults(workspace=workspace)
    stream = run("export", "--workspace", "acme")
    assert stream.count("\n---\n") == len(default_playbooks()) - 1
    assert "# Seed 000" in stream  # written text, comments kept

    path = tmp_path / "all.yaml"
    path.write_text(stream, encoding="utf-8")
    out = run("import", str(path), "--workspace", "other")
    assert out.splitlines()[-1] == f"{len(default_playbooks())} playbook(s) imported"
    assert "welcome-strategic: new" in out
    mine = {p.key: p.source for p in Playbook.objects.filter(workspace=workspace)}
    theirs = {p.key: p.source for p in Playbook.objects.filter(workspace=other_workspace)}
    assert mine == theirs

    again = run("import", str(path), "--workspace", "other")
    assert "welcome-strategic: unchanged" in again
    assert Playbook.objects.filter(workspace=other_workspace).count() == len(default_playbooks())


def test_export_to_a_folder_one_file_per_key(workspace: Workspace, tmp_path: Path) -> None:
    playbooks_install_defaults(workspace=workspace)
    out = run("export", "--workspace", "acme", f"{tmp_path}/pb/")
    assert out.strip() == f"{len(default_playbooks())} playbook(s) written to {tmp_path}/pb/"
    for default in default_playbooks():
        assert (tmp_path / "pb" / f"{default.key}.yaml").read_text() == default.source
    # A folder imports too; a changed file becomes a new version.
    changed = tmp_path / "pb" / "detractor-follow-up.yaml"
    changed.write_text(changed.read_text().replace("due_in_days: 2\n", "due_in_days: 1\n", 1))
    out = run("import", str(tmp_path / "pb"), "--workspace", "acme")
    assert "detractor-follow-up: new version 2" in out
    assert "health-turned-red: unchanged" in out


def test_import_reports_every_problem_at_its_line_and_saves_nothing(workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "mixed.yaml"
    path.write_text(_good("first") + "---\n" + BAD + "---\n" + "key: third\nname: [unclosed\n")
    message, errors = failing("import", str(path), "--workspace", "acme")
    assert message == f"{path}: 2 problem(s); nothing was imported"
    lines = errors.splitlines()
    # BAD starts on line 7; its task is on its 8th line, i.e. line 14 of the file.
    assert any(line.startswith(f"{path}:14:") and "steps[0].task.assignee" in line for line in lines), lines
    assert any(line.startswith(f"{path}:18:") and "not valid YAML" in line for line in lines), lines
    assert not Playbook.objects.filter(workspace=workspace).exists()


def test_import_refuses_a_key_twice_and_unknown_members(workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "twice.yaml"
    path.write_text(_good("first") + "---\n" + _good("first"))
    _, errors = failing("import", str(path), "--workspace", "acme")
    assert f"{path}:7:1: key: first is also defined at {path}:1" in errors
    owner = tmp_path / "owner.yaml"
    owner.write_text(_good("owned").replace("due_in_days: 2}", "due_in_days: 2, assignee: ghost@acme.example}"))
    _, errors = failing("import", str(owner), "--workspace", "acme")
    assert "ghost@acme.example is not an active member" in errors
    assert not Playbook.objects.filter(workspace=workspace).exists()


def test_dry_run_saves_nothing(workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "one.yaml"
    path.write_text(_good("first"))
    out = run("import", str(path), "--workspace", "acme", "--dry-run")
    assert out.splitlines() == ["first: new", "1 playbook(s) would be imported (dry run: nothing saved)"]
    assert not Playbook.objects.filter(workspace=workspace).exists()


def test_unknown_workspace_key_and_dates(workspace: Workspace) -> None:
    assert failing("export", "--workspace", "nope")[0] == "no workspace with slug 'nope'"
    assert "has no playbooks" in failing("export", "--workspace", "acme")[0]
    playbooks_install_defaults(workspace=workspace)
    message, _ = failing("simulate", "qbr", "--workspace", "acme", "--from", "2026-01-01", "--to", "2026-02-01")
    assert message.startswith("no playbook 'qbr' in acme (playbooks: advocacy-ask, ")
    message, _ = failing(
        "simulate", "quarterly-business-review", "--workspace", "acme", "--from", "2026-02-01", "--to", "2026-01-01"
    )
    assert message == "--to (2026-01-01) is before --from (2026-02-01)"


def test_install_defaults_twice(workspace: Workspace) -> None:
    out = run("install-defaults", "--workspace", "acme")
    assert out.splitlines()[-1] == f"{len(default_playbooks())} default playbook(s) installed in acme"
    assert run("install-defaults", "--workspace", "acme").strip() == "0 default playbook(s) installed in acme"


def test_simulate_lists_occurrences_and_sends_nothing(workspace: Workspace, account: Account) -> None:
    playbooks_install_defaults(workspace=workspace)
    started = account.subscriptions.get().started_on
    today = dt.date.today()
    out = run(
        "simulate", "quarterly-business-review", "--workspace", "acme", "--from", str(started), "--to", str(today)
    )
    lines = out.splitlines()
    assert lines[0] == "Quarterly business review (v1)"
    # Step 0 is the business review itself, a step kind the reports app registers.
    assert lines[1] == "  step 0: business review planned in 14 days, with its draft pack"
    assert lines[2].startswith("  step 1: task (meeting) for owner: QBR: {{ account.name }}")
    rows = [line for line in lines if line.startswith(("20", "19"))]
    # Every 90 days from the subscription start: days 90, 180 and 270 of its 305 days so far.
    assert [row.split()[0] for row in rows] == [str(started + dt.timedelta(days=n)) for n in (90, 180, 270)]
    assert all("Globex" in row and row.endswith("qbr → task → email") for row in rows)
    assert lines[-1] == f"3 occurrence(s) for 1 account(s) from {started} to {today}; nothing was sent"
    assert not Enrollment.objects.exists() and not StepRun.objects.exists()
    assert not Task.objects.exists() and not OutboundMessage.objects.exists()
