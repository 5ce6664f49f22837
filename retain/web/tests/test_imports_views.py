"""The imports pages: recent runs, the upload form and each run's report.

Managers and admins upload (Mark, Alice); CSMs and viewers see the runs but get 403 when they
upload (Carol, Vic); Olga, the outsider, gets 404 for everything.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from retain.accounts.choices import ImportStatus
from retain.accounts.imports import csv_import
from retain.accounts.imports.background import import_dir
from retain.accounts.models import Account, ImportRun, TimelineEntry
from retain.tenancy.models import Member, Workspace

pytestmark = pytest.mark.django_db

ACCOUNTS = "External ID,Name,Employees\ncrm-10,Initech,250\ncrm-11,Hooli,\n"
BAD = "External ID,Name,Employees\ncrm-10,Initech,250\ncrm-11,Hooli,lots\n"


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path / "data"


def login(member: Member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def url(name: str, *args: object, slug: str = "acme") -> str:
    return reverse(name, args=[slug, *args])


def upload(client: Client, content: str, kind: str = "accounts", **flags: bool) -> Any:
    """Upload a file, then let the queued import run (the worker's task, eager in tests)."""
    data: dict[str, object] = {"kind": kind, "file": SimpleUploadedFile("crm.csv", content.encode(), "text/csv")}
    data.update({name: "on" for name, on in flags.items() if on})
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(url("imports"), data)


def a_run(workspace: Workspace, content: str = BAD) -> ImportRun:
    return csv_import(
        workspace=workspace, actor=None, kind="accounts", filename="crm.csv", source=io.BytesIO(content.encode())
    ).run


def test_the_upload_returns_before_the_import_is_written(workspace: Workspace, mark: Member) -> None:
    with TestCase.captureOnCommitCallbacks(execute=False) as queued:
        response = login(mark).post(
            url("imports"), {"kind": "accounts", "file": SimpleUploadedFile("crm.csv", ACCOUNTS.encode(), "text/csv")}
        )
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == url("import", run.pk)
    assert (run.status, run.rows_done) == (ImportStatus.QUEUED, 0)
    assert not Account.objects.exists()
    assert len(queued) == 1  # the worker's task, handed over once the run row is committed
    page = login(mark).get(url("import", run.pk)).content.decode()
    assert 'hx-trigger="every 1s"' in page and "waiting for a worker" in page
    queued[0]()
    run.refresh_from_db()
    assert (run.status, run.rows_done, run.rows_created) == (ImportStatus.APPLIED, 2, 2)
    fragment = login(mark).get(url("import-progress", run.pk)).content.decode()
    assert "hx-trigger" not in fragment and "2 created" in fragment
    assert run.stored_file and not (import_dir() / run.stored_file).exists()


def test_a_manager_uploads_a_file_and_is_taken_to_its_run(workspace: Workspace, mark: Member) -> None:
    response = upload(login(mark), ACCOUNTS)
    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("import", run.pk)
    assert (run.status, run.rows_created, run.created_by) == (ImportStatus.APPLIED, 2, mark)
    assert Account.objects.count() == 2
    assert TimelineEntry.objects.filter(kind="account_created", actor=mark, actor_label="import").count() == 2


def test_the_run_page_shows_each_problem_with_its_line_and_column(workspace: Workspace, alice: Member) -> None:
    client = login(alice)
    upload(client, BAD)
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.REFUSED
    page = client.get(url("import", run.pk)).content.decode()
    assert (
        '<td data-label="Line">3</td><td data-label="Column">Employees</td>'
        '<td data-label="Problem">&#x27;lots&#x27; is not a whole number</td>'
    ) in page
    assert "Nothing was written" in page
    assert not Account.objects.exists()


def test_allow_partial_from_the_form_writes_the_good_rows(workspace: Workspace, alice: Member) -> None:
    upload(login(alice), BAD, allow_partial=True)
    run = ImportRun.objects.get()
    assert (run.status, run.rows_created, run.rows_rejected) == (ImportStatus.PARTIAL, 1, 1)
    assert list(Account.objects.values_list("external_id", flat=True)) == ["crm-10"]


def test_dry_run_from_the_form_writes_nothing(workspace: Workspace, alice: Member) -> None:
    client = login(alice)
    upload(client, ACCOUNTS, dry_run=True)
    run = ImportRun.objects.get()
    assert (run.status, run.rows_created) == (ImportStatus.DRY_RUN, 2)
    assert not Account.objects.exists()
    assert "This was a dry run: nothing was written." in client.get(url("import", run.pk)).content.decode()


def test_an_upload_without_a_file_is_refused_with_the_form(workspace: Workspace, alice: Member) -> None:
    response = login(alice).post(url("imports"), {"kind": "accounts"})
    assert response.status_code == 400
    assert 'data-field="file"' in response.content.decode()
    assert not ImportRun.objects.exists()


@pytest.mark.parametrize("who", ["carol", "vic"])
def test_it_requires_a_manager_to_upload(who: str, workspace: Workspace, request: pytest.FixtureRequest) -> None:
    member: Member = request.getfixturevalue(who)
    response = upload(login(member), ACCOUNTS)
    assert response.status_code == 403
    assert not ImportRun.objects.exists()
    assert not Account.objects.exists()


@pytest.mark.parametrize("who", ["carol", "vic"])
def test_csms_and_viewers_see_the_runs_without_the_form(
    who: str, workspace: Workspace, request: pytest.FixtureRequest
) -> None:
    member: Member = request.getfixturevalue(who)
    run = a_run(workspace)
    client = login(member)
    page = client.get(url("imports"))
    assert page.status_code == 200
    assert f'data-run="{run.pk}"' in page.content.decode()
    assert 'enctype="multipart/form-data"' not in page.content.decode()
    assert client.get(url("import", run.pk)).status_code == 200


def test_outsider_gets_404(workspace: Workspace, olga: Member) -> None:
    run = a_run(workspace)
    client = login(olga)
    assert client.get(url("imports")).status_code == 404
    assert client.get(url("import", run.pk)).status_code == 404
    assert upload(client, ACCOUNTS).status_code == 404
    assert ImportRun.objects.count() == 1


def test_a_run_of_another_workspace_is_not_found(
    workspace: Workspace, other_workspace: Workspace, alice: Member, olga: Member
) -> None:
    theirs = a_run(other_workspace)
    assert login(alice).get(url("import", theirs.pk)).status_code == 404
    assert login(olga).get(url("import", theirs.pk, slug="other")).status_code == 200


def test_anonymous_visitors_are_sent_to_log_in(workspace: Workspace) -> None:
    response = Client().get(url("imports"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_list_takes_the_same_queries_for_many_runs(workspace: Workspace, mark: Member) -> None:
    client = login(mark)
    for _ in range(2):
        a_run(workspace)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url("imports")).status_code == 200
    for _ in range(8):
        csv_import(
            workspace=workspace, actor=mark, kind="accounts", filename="crm.csv", source=io.BytesIO(BAD.encode())
        )
    with CaptureQueriesContext(connection) as many:
        assert client.get(url("imports")).status_code == 200
    assert len(many) == len(few)


def test_the_run_page_lists_the_columns_it_did_not_read(workspace: Workspace, mark: Member) -> None:
    client = login(mark)
    upload(client, "External ID,Name,Favourite colour,Lifecycle Stage\ncrm-10,Initech,teal,customer\n")
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.APPLIED and run.ignored_columns == ["Favourite colour", "Lifecycle Stage"]
    page = client.get(url("import", run.pk)).content.decode()
    listed = "<code>Favourite colour</code>, <code>Lifecycle Stage</code>."
    assert f"Columns not read (no field answers to them): {listed}" in page
    upload(client, ACCOUNTS)
    latest = ImportRun.objects.order_by("-id")[0]
    page = client.get(url("import", latest.pk)).content.decode()
    assert 'id="ignored-columns"' not in page
