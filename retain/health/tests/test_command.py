"""`retain health recompute` and `retain health scorecard export|import`."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from retain.accounts.models import Account
from retain.health import selectors, services
from retain.health.defaults import FILES
from retain.health.models import HealthScore, Scorecard
from retain.lib.yamldocs import split_documents
from retain.tenancy.models import Workspace

D = dt.date(2026, 6, 30)

LOGINS = """\
name: Logins
applies_to: {tier: [enterprise]}
priority: 5
measures:
- kind: logins
  label: Logins
  weight: 1
  scoring:
    linear: {from: 0, to: 10}
"""


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("health", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_recompute_scores_one_workspace_and_says_what_it_did(
    workspace: Workspace, other_workspace: Workspace, account: Account
) -> None:
    out, _ = run("recompute", "--workspace", "acme", "--day", "2026-06-30")
    assert out.startswith("acme: 1 accounts scored on 2026-06-30: ")
    assert "band changes" in out
    assert HealthScore.objects.get().day == D


def test_recompute_without_a_workspace_scores_them_all(
    workspace: Workspace, other_workspace: Workspace, account: Account
) -> None:
    out, _ = run("recompute")
    assert [line.split(":")[0] for line in out.splitlines()] == ["acme", "other"]
    assert HealthScore.objects.count() == 1


def test_recompute_refuses_an_unknown_workspace(db: None) -> None:
    with pytest.raises(CommandError, match="no workspace with slug 'nope'"):
        run("recompute", "--workspace", "nope")


def test_recompute_refuses_a_malformed_day(workspace: Workspace) -> None:
    with pytest.raises(CommandError, match="is not a date"):
        run("recompute", "--day", "30/06/2026")


def test_export_then_import_round_trips_every_scorecard(
    workspace: Workspace, other_workspace: Workspace, tmp_path: Path
) -> None:
    services.scorecards_install_defaults(workspace=workspace)
    services.scorecard_publish(workspace=workspace, actor=None, text=LOGINS)
    file = tmp_path / "scorecards.yaml"
    out, _ = run("scorecard", "export", "--workspace", "acme", str(file))
    assert out.strip() == f"{len(FILES) + 1} scorecard(s) written to {file}"
    assert len(split_documents(file.read_text())) == len(FILES) + 1

    out, _ = run("scorecard", "import", "--workspace", "other", str(file))
    assert out.count("version 1 published") == len(FILES) + 1
    mine = {(row.name, row.definition) for row in selectors.scorecards_published(workspace)}
    theirs = {(row.name, row.definition) for row in selectors.scorecards_published(other_workspace)}
    assert theirs == mine

    out, _ = run("scorecard", "import", "--workspace", "other", str(file))
    assert out.count("version 1 unchanged") == len(FILES) + 1
    assert Scorecard.objects.filter(workspace=other_workspace).count() == len(FILES) + 1


def test_export_of_one_scorecard_by_name_to_standard_output(workspace: Workspace) -> None:
    services.scorecard_publish(workspace=workspace, actor=None, text=LOGINS)
    out, _ = run("scorecard", "export", "--workspace", "acme", "--name", "Logins", "-")
    assert out == LOGINS


def test_export_of_an_unknown_name_lists_the_published_ones(workspace: Workspace) -> None:
    services.scorecard_publish(workspace=workspace, actor=None, text=LOGINS)
    with pytest.raises(CommandError, match=r"no published scorecard named 'Login' in acme \(published: 'Logins'\)"):
        run("scorecard", "export", "--workspace", "acme", "--name", "Login", "-")


def test_an_import_with_errors_prints_each_with_its_line_and_imports_nothing(
    workspace: Workspace, tmp_path: Path
) -> None:
    broken = LOGINS.replace("name: Logins", "name: Second").replace("kind: logins", "kind: login")
    file = tmp_path / "cards.yaml"
    file.write_text(LOGINS + "---\n" + broken.replace("from: 0", "from: zero"))
    with pytest.raises(CommandError, match="2 problem"):
        out, err = StringIO(), StringIO()
        try:
            call_command("health", "scorecard", "import", "--workspace", "acme", str(file), stdout=out, stderr=err)
        finally:
            lines = err.getvalue().splitlines()
    # The second document starts on line 11 of the file: its lines count from there.
    assert lines[0].startswith(f"{file}:15:3: measures[0].kind: 'login' is not a measure kind")
    assert lines[1].startswith(f"{file}:19:14: measures[0].scoring.linear.from:")
    assert not Scorecard.objects.exists()


def test_an_import_of_a_missing_file_is_refused(workspace: Workspace, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        run("scorecard", "import", "--workspace", "acme", str(tmp_path / "nope.yaml"))


def test_documents_holding_only_comments_are_skipped() -> None:
    assert split_documents("# header\n---\nname: a\n---\n# trailing\n") == [(2, "name: a\n")]
