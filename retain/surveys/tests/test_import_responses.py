"""`retain import responses`: answers exported from another survey tool, with the other imports' rules."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from retain.accounts import services as account_services
from retain.accounts.choices import ImportStatus
from retain.accounts.imports import ImportResult, csv_import, run_problems
from retain.accounts.models import Account, Contact, TimelineEntry
from retain.surveys.imports import parse_answered_at, parse_score
from retain.surveys.models import Response, Survey
from retain.tenancy.models import Member, Workspace

OURS = (
    "Email,Score,Comment,Date,Survey\n"
    "jane@globex.example,9,Great onboarding,2026-03-02,Relationship NPS\n"
    "JOHN@globex.example,3,Reports are slow,2026-03-05,relationship nps\n"
)


def run(
    workspace: Workspace,
    content: str,
    *,
    actor: Member | None = None,
    dry_run: bool = False,
    allow_partial: bool = False,
) -> ImportResult:
    return csv_import(
        workspace=workspace,
        actor=actor,
        kind="responses",
        filename="answers.csv",
        source=io.BytesIO(content.encode()),
        dry_run=dry_run,
        allow_partial=allow_partial,
    )


@pytest.fixture
def john(account: Account) -> Contact:
    return account_services.contact_create(
        account=account, actor=None, via="test", email="john@globex.example", first_name="John", external_id="c-7"
    )


def test_answers_are_recorded_through_the_survey_service(
    workspace: Workspace, nps: Survey, jane: Contact, john: Contact, mark: Member
) -> None:
    result = run(workspace, OURS, actor=mark)

    assert result.run.status == ImportStatus.APPLIED
    assert result.run.rows_created == 2
    answers = {r.contact.email: r for r in Response.objects.select_related("contact")}
    assert answers["jane@globex.example"].score == 9
    assert answers["john@globex.example"].comment == "Reports are slow"
    assert {r.source for r in answers.values()} == {"import"}
    assert answers["jane@globex.example"].answered_at == dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    john.refresh_from_db()
    assert (john.nps_score, john.nps_category) == (3, "detractor")
    assert TimelineEntry.objects.filter(kind="survey_answered").count() == 2


def test_importing_the_same_file_twice_adds_nothing(
    workspace: Workspace, nps: Survey, jane: Contact, john: Contact
) -> None:
    run(workspace, OURS)
    entries = TimelineEntry.objects.count()

    again = run(workspace, OURS)

    assert (again.run.rows_created, again.run.rows_unchanged) == (0, 2)
    assert Response.objects.count() == 2
    assert TimelineEntry.objects.count() == entries


def test_the_same_answers_in_another_layout_are_still_known(
    workspace: Workspace, nps: Survey, jane: Contact, john: Contact
) -> None:
    run(workspace, OURS)
    reordered = "Survey;Date;Score;Email;Comment\nRelationship NPS;2026-03-02;9;jane@globex.example;Great onboarding\n"

    assert run(workspace, reordered).run.rows_unchanged == 1
    assert Response.objects.count() == 2


def test_a_delighted_export_is_understood(workspace: Workspace, nps: Survey, jane: Contact) -> None:
    delighted = (
        "Response ID,Email,Name,Score,Comment,Permalink,Created At,Updated At,Survey Type\n"
        "8812,jane@globex.example,Jane,10,Love it,https://x.example/r/8812,"
        "2026-03-02 14:05:09 UTC,2026-03-02 14:05:09 UTC,Relationship NPS\n"
    )

    result = run(workspace, delighted)

    assert result.run.rows_created == 1, run_problems(result.run)
    assert Response.objects.get().answered_at == dt.datetime(2026, 3, 2, 14, 5, 9, tzinfo=dt.UTC)
    assert "Permalink" in result.ignored_columns


def test_a_typeform_export_and_a_contact_id_are_understood(workspace: Workspace, csat: Survey, john: Contact) -> None:
    typeform = "Contact ID,Rating,Feedback,Submitted At,Survey\nc-7,4,,2026-03-02T09:00:00Z,Support CSAT\n"

    result = run(workspace, typeform)

    assert result.run.rows_created == 1, run_problems(result.run)
    assert Response.objects.get().category == "satisfied"


def test_an_unknown_survey_is_refused_not_created(workspace: Workspace, nps: Survey, jane: Contact) -> None:
    result = run(workspace, "Email,Score,Date,Survey\njane@globex.example,9,2026-03-02,Relationshp NPS\n")

    assert result.run.status == ImportStatus.REFUSED
    assert run_problems(result.run) == [
        "answers.csv:2:Survey: no survey named 'Relationshp NPS' in this workspace: create it first "
        "(an import does not create surveys)"
    ]
    assert Survey.objects.filter(workspace=workspace).count() == 1


def test_a_score_outside_the_surveys_scale_is_refused(
    workspace: Workspace, nps: Survey, csat: Survey, jane: Contact
) -> None:
    content = (
        "Email,Score,Date,Survey\n"
        "jane@globex.example,11,2026-03-02,Relationship NPS\n"
        "jane@globex.example,0,2026-03-02,Support CSAT\n"
        "jane@globex.example,7.5,2026-03-02,Support CSAT\n"
    )

    problems = run_problems(run(workspace, content).run)

    assert problems == [
        "answers.csv:2:Score: 11 is outside 0–10, the scale of NPS surveys",
        "answers.csv:3:Score: 0 is outside 1–5, the scale of CSAT surveys",
        "answers.csv:4:Score: '7.5' is not a whole-number score",
    ]
    assert not Response.objects.exists()


def test_an_unknown_contact_is_refused_naming_line_and_column(workspace: Workspace, nps: Survey, jane: Contact) -> None:
    content = OURS.splitlines()[0] + "\nnobody@globex.example,9,,2026-03-02,Relationship NPS\n"

    assert run_problems(run(workspace, content).run) == [
        "answers.csv:2:Email: no contact with e-mail 'nobody@globex.example' in this workspace"
    ]


def test_another_workspaces_contacts_and_surveys_are_unknown(
    workspace: Workspace, other_workspace: Workspace, nps: Survey, jane: Contact
) -> None:
    result = run(other_workspace, OURS)

    assert result.run.status == ImportStatus.REFUSED
    assert not Response.objects.exists()


def test_a_bad_row_refuses_the_file_unless_partial_is_allowed(
    workspace: Workspace, nps: Survey, jane: Contact, john: Contact
) -> None:
    content = OURS + "jane@globex.example,9,,2099-01-01,Relationship NPS\n"

    refused = run(workspace, content)
    assert refused.run.status == ImportStatus.REFUSED
    assert run_problems(refused.run) == ["answers.csv:4:Date: is in the future"]
    assert not Response.objects.exists()

    partial = run(workspace, content, allow_partial=True)
    assert partial.run.status == ImportStatus.PARTIAL
    assert (partial.run.rows_created, partial.run.rows_rejected) == (2, 1)
    assert Response.objects.count() == 2


def test_a_dry_run_writes_nothing(workspace: Workspace, nps: Survey, jane: Contact, john: Contact) -> None:
    result = run(workspace, OURS, dry_run=True)

    assert result.run.status == ImportStatus.DRY_RUN
    assert result.run.rows_created == 2
    assert not Response.objects.exists()


def test_a_file_without_a_survey_column_is_refused(workspace: Workspace, nps: Survey, jane: Contact) -> None:
    result = run(workspace, "Email,Score,Date\njane@globex.example,9,2026-03-02\n")

    assert result.run.status == ImportStatus.REFUSED
    assert run_problems(result.run)[0].startswith("answers.csv:1: no column for the survey: name one 'Survey'")


def test_the_command_imports_responses_and_fails_loudly_on_a_refusal(
    workspace: Workspace, nps: Survey, jane: Contact, john: Contact, tmp_path: Path
) -> None:
    good = tmp_path / "answers.csv"
    good.write_text(OURS)
    out = io.StringIO()
    call_command("import", "responses", str(good), workspace="acme", stdout=out, stderr=io.StringIO())
    assert "2 created" in out.getvalue()

    bad = tmp_path / "bad.csv"
    bad.write_text("Email,Score,Date,Survey\njane@globex.example,12,2026-03-02,Relationship NPS\n")
    errors = io.StringIO()
    with pytest.raises(CommandError, match="refused, 1 problem"):
        call_command("import", "responses", str(bad), workspace="acme", stdout=io.StringIO(), stderr=errors)
    assert "bad.csv:2:Score: 12 is outside 0–10" in errors.getvalue()


def test_scores_and_dates_are_read_as_survey_tools_write_them() -> None:
    assert parse_score("9") == 9
    assert parse_score("9.0") == 9
    with pytest.raises(ValueError):
        parse_score("nine")
    assert parse_answered_at("2026-03-02T10:00:00+02:00", None, "UTC") == dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)
    assert parse_answered_at("2026-03-02 10:00", None, "Europe/Zagreb") == dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
    assert parse_answered_at("15.03.2026", None, "UTC") == dt.datetime(2026, 3, 15, tzinfo=dt.UTC)
