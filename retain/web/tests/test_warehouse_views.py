"""The warehouse pages: connections, a measure's preview and save, runs, and who may see them."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from django.test import Client

from retain.accounts.models import Account
from retain.health.models import WarehouseConnection, WarehouseMeasure, WarehouseRun, WarehouseValue
from retain.tenancy.models import Member, Workspace

W = "/w/acme/settings/warehouse/"


def login(member: Member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


@pytest.fixture
def duck(tmp_path: Path) -> str:
    path = tmp_path / "wh.duckdb"
    with duckdb.connect(str(path)) as db:
        db.execute("CREATE TABLE seats AS SELECT * FROM (VALUES ('crm-1', 8), ('crm-404', 3)) t(account, used)")
    return f"duckdb:///{path}"


@pytest.fixture
def connection(workspace: Workspace, duck: str) -> WarehouseConnection:
    return WarehouseConnection.objects.create(workspace=workspace, name="Lake", url=duck)


def form(connection: WarehouseConnection, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "connection": connection.pk,
        "key": "seats_used",
        "name": "Seats used",
        "sql": "SELECT account, used AS value FROM seats ORDER BY account",
        "match_on": "external_id",
        "direction": "1",
        "unit": "seats",
        "timeout_seconds": "10",
        "row_limit": "1000",
        "enabled": "on",
    }
    data.update(changes)
    return data


def test_an_admin_adds_a_connection_and_a_bad_url_names_the_field(alice: Member, duck: str) -> None:
    client = login(alice)
    bad = client.post(W, {"name": "Lake", "url": "postgresql://reader:secret@db/x", "export_table": "t"})
    assert bad.status_code == 400
    assert "url: " in bad.content.decode() and "holds a password" in bad.content.decode()
    assert not WarehouseConnection.objects.exists()
    response = client.post(W, {"name": "Lake", "url": duck, "secret_env": "", "export_table": "health"})
    assert response.status_code == 302
    page = client.get(W).content.decode()
    assert "Lake" in page and "DuckDB" in page


def test_the_preview_shows_matched_and_unmatched_rows_and_stores_nothing(
    alice: Member, account: Account, connection: WarehouseConnection
) -> None:
    response = login(alice).post(W + "measures/new/", form(connection, action="preview"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>2</strong> rows" in html and "<strong>1</strong> matched an account" in html
    assert "crm-404" in html and "no account" in html
    assert not WarehouseMeasure.objects.exists() and not WarehouseValue.objects.exists()
    assert WarehouseRun.objects.get().kind == "preview"


def test_a_preview_of_bad_sql_shows_the_warehouse_s_error(alice: Member, connection: WarehouseConnection) -> None:
    response = login(alice).post(W + "measures/new/", form(connection, action="preview", sql="SELECT nope"))
    assert "the warehouse refused the query" in response.content.decode()


def test_saving_and_running_a_measure(alice: Member, account: Account, connection: WarehouseConnection) -> None:
    client = login(alice)
    refused = client.post(W + "measures/new/", form(connection, action="save", key="bad key", row_limit="0"))
    assert refused.status_code == 400
    assert "key: " in refused.content.decode() and "row_limit: " in refused.content.decode()
    saved = client.post(W + "measures/new/", form(connection, action="save"))
    measure = WarehouseMeasure.objects.get()
    assert saved.status_code == 302 and saved["Location"].endswith(f"measures/{measure.pk}/")
    assert "warehouse.seats_used" in client.get(W + f"measures/{measure.pk}/").content.decode()
    ran = client.post(W + f"measures/{measure.pk}/", {"action": "run"}, follow=True)
    assert "2 rows, 1 matched, 1 unmatched" in ran.content.decode()
    assert WarehouseValue.objects.get().account == account


def test_testing_a_connection_records_a_run(alice: Member, connection: WarehouseConnection) -> None:
    response = login(alice).post(W + f"connections/{connection.pk}/", {"action": "test"}, follow=True)
    assert "Connection Lake answered." in response.content.decode()
    assert WarehouseRun.objects.get().kind == "test"


def test_only_admins_of_the_workspace_reach_the_pages(
    mark: Member, vic: Member, olga: Member, connection: WarehouseConnection
) -> None:
    measure = WarehouseMeasure.objects.create(
        workspace=connection.workspace, connection=connection, key="k", name="K", sql="SELECT 1"
    )
    assert login(vic).get(W).status_code == 403
    assert login(mark).get(W + f"measures/{measure.pk}/").status_code == 403
    assert login(olga).get(W + f"measures/{measure.pk}/").status_code == 404
    assert login(olga).get(f"/w/{olga.workspace.slug}/settings/warehouse/measures/{measure.pk}/").status_code == 404
    assert (
        login(olga)
        .post(f"/w/{olga.workspace.slug}/settings/warehouse/connections/{connection.pk}/", {"action": "test"})
        .status_code
        == 404
    )
