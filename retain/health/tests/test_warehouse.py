"""Warehouse measures and the health export, against a real DuckDB file and a real PostgreSQL database.

The PostgreSQL tests create a throwaway database `retain_wh_test` on 127.0.0.1:5432 (or the server
in RETAIN_WAREHOUSE_TEST_PG) and skip when no server answers, unless CI=true.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from decimal import Decimal
from io import StringIO
from pathlib import Path

import duckdb
import psycopg
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from retain.accounts import services as account_services
from retain.accounts.models import Account
from retain.config.schedule import SCHEDULE
from retain.health import catalogue, jobs, services
from retain.health.choices import MatchOn, WarehouseDirection, WarehouseRunKind
from retain.health.measures import compute_measures
from retain.health.models import HealthScore, WarehouseConnection, WarehouseMeasure, WarehouseRun, WarehouseValue
from retain.health.warehouse.connect import WarehouseError, check_url, engine
from retain.health.warehouse.export import health_export
from retain.health.warehouse.runs import connection_test, measure_preview, measure_run
from retain.renewals.models import Renewal
from retain.tenancy.models import Workspace

D = dt.date(2026, 6, 30)

SEATS_CARD = """\
name: Warehouse seats
applies_to: {default: true}
priority: 1000
measures:
- kind: warehouse.seats_used
  label: Seats used (warehouse)
  weight: 1
  scoring:
    linear: {from: 0, to: 10}
"""


def make_account(workspace: Workspace, name: str, external_id: str, domain: str) -> Account:
    account = account_services.account_create(
        workspace=workspace, actor=None, via="test", name=name, external_id=external_id, domain=domain
    )
    account_services.subscription_create(
        account=account,
        actor=None,
        via="test",
        product="Hub",
        mrr=Decimal(100),
        started_on=dt.date(2024, 1, 1),
        term_end=dt.date(2027, 1, 1),
    )
    return account


@pytest.fixture
def accounts(workspace: Workspace) -> list[Account]:
    return [
        make_account(workspace, "Acme", "crm-1", "acme.example"),
        make_account(workspace, "Brick", "crm-2", "brick.example"),
    ]


@pytest.fixture
def duck(tmp_path: Path) -> str:
    """A DuckDB warehouse file with a seats table: two known accounts, one nobody has heard of."""
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as db:
        db.execute("CREATE TABLE seats (account_id VARCHAR, domain VARCHAR, day DATE, used INTEGER)")
        db.execute(
            "INSERT INTO seats VALUES ('crm-1', 'www.Acme.example', DATE '2026-06-30', 8),"
            " ('crm-2', 'brick.example', DATE '2026-06-30', 2),"
            " ('crm-9', 'ghost.example', DATE '2026-06-30', 5),"
            " ('crm-1', 'acme.example', DATE '2026-06-29', 7)"
        )
    return f"duckdb:///{path}"


def connect(workspace: Workspace, url: str, secret_env: str = "") -> WarehouseConnection:
    return WarehouseConnection.objects.create(workspace=workspace, name="wh", url=url, secret_env=secret_env)


def measure(connection: WarehouseConnection, sql: str, **fields: object) -> WarehouseMeasure:
    return WarehouseMeasure.objects.create(
        workspace=connection.workspace, connection=connection, key="seats_used", name="Seats used", sql=sql, **fields
    )


SEATS_SQL = "SELECT account_id AS account, day, used AS value FROM seats"


# URLs -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://reader@db.example/analytics",
        "postgresql+psycopg://reader@db.example:5432/analytics",
        "duckdb:////var/lib/warehouse.duckdb",
        "snowflake://reader@acme-xy12345/analytics/public?warehouse=wh",
        "bigquery://my-project/analytics",
        "redshift+psycopg2://reader@cluster.example:5439/dev",
    ],
)
def test_supported_dialects_are_accepted(url: str) -> None:
    assert check_url(url) is None


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("mysql://reader@db/x", "dialect 'mysql' is not supported"),
        ("postgresql://reader:hunter2@db/x", "holds a password"),
        ("duckdb:///:memory:", "needs a file path"),
        ("not a url", "is not a SQLAlchemy URL"),
        ("snowflake:///analytics", "needs a host"),
    ],
)
def test_bad_urls_are_refused_with_the_reason(url: str, problem: str) -> None:
    found = check_url(url)
    assert found is not None and problem in found


def test_a_dialect_that_is_not_installed_names_the_package_to_install() -> None:
    with pytest.raises(WarehouseError, match="pip install snowflake-sqlalchemy"):
        engine("snowflake://reader@acme-xy12345/analytics", read_only=True)


def test_a_secret_variable_that_is_not_set_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RETAIN_TEST_WH_PASSWORD", raising=False)
    with pytest.raises(WarehouseError, match="RETAIN_TEST_WH_PASSWORD"):
        engine("postgresql://reader@db.example/x", "RETAIN_TEST_WH_PASSWORD", read_only=True)


# DuckDB -----------------------------------------------------------------------------------------------


def test_a_run_stores_one_value_per_matched_account_and_day(
    workspace: Workspace, accounts: list[Account], duck: str
) -> None:
    run = measure_run(workspace=workspace, measure=measure(connect(workspace, duck), SEATS_SQL), day=D)
    assert run.error == ""
    assert (run.rows, run.matched, run.unmatched, run.unmatched_sample) == (4, 3, 1, ["crm-9"])
    assert run.finished_at is not None and run.kind == WarehouseRunKind.MEASURE
    stored = {(v.account.name, v.day): v.value for v in WarehouseValue.objects.select_related("account")}
    assert stored == {("Acme", D): 8, ("Brick", D): 2, ("Acme", D - dt.timedelta(days=1)): 7}


def test_running_again_replaces_the_day_s_values(workspace: Workspace, accounts: list[Account], duck: str) -> None:
    item = measure(connect(workspace, duck), SEATS_SQL)
    measure_run(workspace=workspace, measure=item, day=D)
    with duckdb.connect(duck.removeprefix("duckdb:///")) as db:
        db.execute("UPDATE seats SET used = 9 WHERE account_id = 'crm-1' AND day = DATE '2026-06-30'")
    measure_run(workspace=workspace, measure=item, day=D)
    assert WarehouseValue.objects.count() == 3
    assert WarehouseValue.objects.get(account=accounts[0], day=D).value == 9


def test_accounts_match_by_domain_ignoring_case_and_www(
    workspace: Workspace, accounts: list[Account], duck: str
) -> None:
    sql = "SELECT domain AS account, used AS value FROM seats WHERE day = DATE '2026-06-30'"
    run = measure_run(
        workspace=workspace, measure=measure(connect(workspace, duck), sql, match_on=MatchOn.DOMAIN), day=D
    )
    assert (run.matched, run.unmatched_sample) == (2, ["ghost.example"])
    # Without a day column, the values are for the run's day.
    assert {v.account_id: (v.day, v.value) for v in WarehouseValue.objects.all()} == {
        accounts[0].pk: (D, 8),
        accounts[1].pk: (D, 2),
    }


def test_over_the_row_limit_nothing_is_stored(workspace: Workspace, accounts: list[Account], duck: str) -> None:
    item = measure(connect(workspace, duck), SEATS_SQL)
    measure_run(workspace=workspace, measure=item, day=D)
    item.row_limit = 3
    item.save()
    with duckdb.connect(duck.removeprefix("duckdb:///")) as db:
        db.execute("UPDATE seats SET used = 0")
    run = measure_run(workspace=workspace, measure=item, day=D)
    assert "more than its row limit of 3 rows" in run.error
    assert {v.value for v in WarehouseValue.objects.all()} == {2, 7, 8}  # the earlier run's


def test_a_slow_query_is_stopped_at_its_timeout(workspace: Workspace, accounts: list[Account], duck: str) -> None:
    sql = "SELECT 'crm-1' AS account, count(*) AS value FROM range(1000000000000) a"
    item = measure(connect(workspace, duck), sql, timeout_seconds=1)
    began = time.monotonic()
    run = measure_run(workspace=workspace, measure=item, day=D)
    assert time.monotonic() - began < 30
    assert "longer than its timeout of 1 s" in run.error
    assert not WarehouseValue.objects.exists()


@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        ("SELECT nope FROM seats", "the warehouse refused the query: Binder Error"),
        ("SELECT account_id AS account FROM seats", "column 'value': the query must return it"),
        ("SELECT account_id AS account, 'many' AS value FROM seats", "row 1, column 'value': 'many' is not a number"),
        ("SELECT account_id AS account, 1 AS value FROM seats", "has a second value for 2026-06-30"),
        ("CREATE TABLE sneaky (a INTEGER)", "read-only"),
    ],
)
def test_bad_sql_is_recorded_with_the_reason(
    workspace: Workspace, accounts: list[Account], duck: str, sql: str, problem: str
) -> None:
    run = measure_run(workspace=workspace, measure=measure(connect(workspace, duck), sql), day=D)
    assert problem in run.error
    assert run.finished_at is not None
    assert not WarehouseValue.objects.exists()


def test_the_preview_runs_with_a_row_limit_and_stores_no_values(
    workspace: Workspace, accounts: list[Account], duck: str
) -> None:
    preview = measure_preview(
        workspace=workspace,
        connection=connect(workspace, duck),
        sql="SELECT account_id AS account, day, used AS value FROM seats ORDER BY day, account_id",
        match_on=MatchOn.EXTERNAL_ID,
        timeout=10,
        day=D,
    )
    assert preview.run.kind == WarehouseRunKind.PREVIEW and preview.run.error == ""
    assert [(row["account"], row["matched"]) for row in preview.rows] == [
        ("crm-1", True),
        ("crm-1", True),
        ("crm-2", True),
        ("crm-9", False),
    ]
    assert not WarehouseValue.objects.exists()


def test_another_workspace_s_measure_cannot_be_run(
    workspace: Workspace, other_workspace: Workspace, accounts: list[Account], duck: str
) -> None:
    with pytest.raises(ValueError, match="another workspace"):
        measure_run(workspace=other_workspace, measure=measure(connect(workspace, duck), SEATS_SQL), day=D)


def test_the_measure_is_a_kind_scorecards_score_with(workspace: Workspace, accounts: list[Account], duck: str) -> None:
    measure_run(workspace=workspace, measure=measure(connect(workspace, duck), SEATS_SQL), day=D)
    assert "warehouse.seats_used" in catalogue.MEASURES
    assert catalogue.MEASURES.get("warehouse.seats_used").kind == "warehouse.seats_used"  # type: ignore[union-attr]
    assert catalogue.MEASURES.get("lakehouse.seats_used") is None
    assert catalogue.describe("warehouse.seats_used", 8.0) == "8 (seats_used, from the warehouse)"
    services.scorecard_publish(workspace=workspace, actor=None, text=SEATS_CARD)
    services.health_recompute(workspace=workspace, day=D)
    scores = {s.account.name: s for s in HealthScore.objects.select_related("account")}
    assert scores["Acme"].overall == pytest.approx(80)
    assert scores["Brick"].overall == pytest.approx(20)
    assert scores["Acme"].measures[0]["raw"] == 8
    # Days later the latest value still counts; past STALE_DAYS it is missing.
    later = compute_measures(workspace, None, D + dt.timedelta(days=3), kinds=["warehouse.seats_used"])
    gone = compute_measures(workspace, None, D + dt.timedelta(days=9), kinds=["warehouse.seats_used"])
    assert later[accounts[0].pk]["warehouse.seats_used"] == 8
    assert gone[accounts[0].pk]["warehouse.seats_used"] is None


def test_the_kind_s_direction_must_match_the_measure_s(
    workspace: Workspace, accounts: list[Account], duck: str
) -> None:
    measure_run(workspace=workspace, measure=measure(connect(workspace, duck), SEATS_SQL), day=D)
    found = compute_measures(workspace, None, D, kinds=["warehouse_low.seats_used"])
    assert found[accounts[0].pk]["warehouse_low.seats_used"] is None
    WarehouseMeasure.objects.update(direction=WarehouseDirection.LOWER)
    found = compute_measures(workspace, None, D, kinds=["warehouse_low.seats_used"])
    assert found[accounts[0].pk]["warehouse_low.seats_used"] == 8


def test_a_scorecard_naming_a_missing_or_reversed_warehouse_measure_is_refused_where_it_names_it(
    workspace: Workspace, other_workspace: Workspace, accounts: list[Account], duck: str
) -> None:
    with pytest.raises(ValidationError) as missing:
        services.scorecard_publish(workspace=workspace, actor=None, text=SEATS_CARD)
    assert missing.value.message_dict["definition"] == [
        "scorecard.yaml:5:3: measures[0].kind: no warehouse measure 'seats_used' in this workspace "
        "(Settings › Warehouse)"
    ]
    measure(connect(other_workspace, duck), SEATS_SQL)  # another workspace's measure of that key does not count
    with pytest.raises(ValidationError):
        services.scorecard_publish(workspace=workspace, actor=None, text=SEATS_CARD)
    measure(connect(workspace, duck), SEATS_SQL)
    reversed_card = SEATS_CARD.replace("kind: warehouse.seats_used", "kind: warehouse_low.seats_used")
    with pytest.raises(ValidationError) as reversed_:
        services.scorecard_publish(workspace=workspace, actor=None, text=reversed_card)
    assert "is scored as warehouse.seats_used (its direction); not warehouse_low.seats_used" in str(reversed_.value)
    assert services.scorecard_publish(workspace=workspace, actor=None, text=SEATS_CARD).version == 1


def test_an_unknown_kind_prefix_is_still_refused_by_scorecards() -> None:
    assert "warehouse.bad key!" not in catalogue.MEASURES
    assert "lakehouse.seats" not in catalogue.MEASURES


def test_the_export_writes_scores_bands_and_renewals_and_is_idempotent(
    workspace: Workspace, accounts: list[Account], duck: str
) -> None:
    connection = connect(workspace, duck)
    measure_run(workspace=workspace, measure=measure(connection, SEATS_SQL), day=D)
    services.scorecard_publish(workspace=workspace, actor=None, text=SEATS_CARD)
    services.health_recompute(workspace=workspace, day=D)
    subscription = accounts[0].subscriptions.get()
    Renewal.objects.create(
        workspace=workspace,
        account=accounts[0],
        subscription=subscription,
        term_end=dt.date(2027, 1, 1),
        target_amount=Decimal(1200),
        close_date=dt.date(2027, 1, 1),
        opened_at=dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
    )
    first = health_export(workspace=workspace, connection=connection, day=D)
    second = health_export(workspace=workspace, connection=connection, day=D)
    assert (first.error, second.error, first.rows, second.rows) == ("", "", 2, 2)
    with duckdb.connect(duck.removeprefix("duckdb:///"), read_only=True) as db:
        rows = db.execute(
            "SELECT account_external_id, day, health_score, health_band, renewal_term_end, renewal_target_arr "
            "FROM retain_account_health ORDER BY account_external_id"
        ).fetchall()
    assert [(r[0], r[1], round(r[2]), r[3]) for r in rows] == [("crm-1", D, 80, "green"), ("crm-2", D, 20, "red")]
    assert rows[0][4:] == (dt.date(2027, 1, 1), Decimal(1200)) and rows[1][4:] == (None, None)


def test_the_cli_runs_tests_and_exports(workspace: Workspace, accounts: list[Account], duck: str) -> None:
    measure(connect(workspace, duck), SEATS_SQL)
    out = StringIO()
    call_command("warehouse", "test", "--workspace", workspace.slug, stdout=out)
    call_command("warehouse", "run", "--workspace", workspace.slug, "--day", D.isoformat(), stdout=out)
    call_command("warehouse", "export", "--workspace", workspace.slug, "--day", D.isoformat(), stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("wh: ok")
    assert lines[1].startswith("seats_used: 4 rows, 3 matched, 1 unmatched")
    assert lines[2].startswith("wh: 0 rows written to retain_account_health")  # nothing scored that day
    WarehouseMeasure.objects.update(sql="SELECT nope")
    with pytest.raises(SystemExit) as failed:
        call_command("warehouse", "run", "--workspace", workspace.slug, stdout=StringIO())
    assert failed.value.code == 1


def test_the_nightly_job_runs_every_enabled_measure(workspace: Workspace, accounts: list[Account], duck: str) -> None:
    item = measure(connect(workspace, duck), SEATS_SQL)
    WarehouseMeasure.objects.create(
        workspace=workspace, connection=item.connection, key="off", name="Off", sql="SELECT nope", enabled=False
    )
    assert SCHEDULE["run-warehouse-measures"]["task"] == jobs.run_warehouse_measures.name
    assert jobs.run_warehouse_measures() == 0
    assert list(WarehouseRun.objects.values_list("measure__key", flat=True)) == ["seats_used"]


# PostgreSQL -----------------------------------------------------------------------------------------


PG_DB = "retain_wh_test"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh `retain_wh_test` database with the same seats table; dropped afterwards."""
    server = os.environ.get("RETAIN_WAREHOUSE_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
    try:
        admin = psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is needed under CI: {exc}")
        pytest.skip(f"PostgreSQL is not reachable: {exc}")
    with admin:
        admin.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {PG_DB}")
        with psycopg.connect(f"{server}/{PG_DB}", autocommit=True) as db:
            db.execute("CREATE TABLE seats (account_id text, domain text, day date, used integer)")
            db.execute(
                "INSERT INTO seats VALUES ('crm-1', 'acme.example', '2026-06-30', 8),"
                " ('crm-2', 'brick.example', '2026-06-30', 2), ('crm-9', 'ghost.example', '2026-06-30', 5)"
            )
        try:
            yield f"{server.replace('postgresql://', 'postgresql+psycopg://')}/{PG_DB}"
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


@pytest.mark.xdist_group("warehouse_pg")
def test_postgresql_runs_measures_read_only_with_a_timeout(
    workspace: Workspace, accounts: list[Account], pg_url: str
) -> None:
    connection = connect(workspace, pg_url)
    assert connection_test(workspace=workspace, connection=connection).error == ""
    run = measure_run(workspace=workspace, measure=measure(connection, SEATS_SQL), day=D)
    assert (run.error, run.rows, run.matched, run.unmatched) == ("", 3, 2, 1)
    assert {v.account_id: v.value for v in WarehouseValue.objects.all()} == {accounts[0].pk: 8, accounts[1].pk: 2}
    written = WarehouseMeasure.objects.create(
        workspace=workspace, connection=connection, key="w", name="W", sql="DELETE FROM seats RETURNING 'x', 1"
    )
    assert "read-only transaction" in measure_run(workspace=workspace, measure=written, day=D).error
    slow = WarehouseMeasure.objects.create(
        workspace=workspace,
        connection=connection,
        key="slow",
        name="Slow",
        sql="SELECT 'crm-1' AS account, 1 AS value FROM pg_sleep(20)",
        timeout_seconds=1,
    )
    began = time.monotonic()
    assert "longer than its timeout of 1 s" in measure_run(workspace=workspace, measure=slow, day=D).error
    assert time.monotonic() - began < 10
    bad = WarehouseMeasure.objects.create(
        workspace=workspace, connection=connection, key="bad", name="Bad", sql="SELECT nope FROM seats"
    )
    assert 'column "nope" does not exist' in measure_run(workspace=workspace, measure=bad, day=D).error
    limited = WarehouseMeasure.objects.create(
        workspace=workspace, connection=connection, key="lim", name="Lim", sql=SEATS_SQL, row_limit=2
    )
    assert "row limit of 2 rows" in measure_run(workspace=workspace, measure=limited, day=D).error
    with psycopg.connect(pg_url.replace("+psycopg", "")) as db:
        assert db.execute("SELECT count(*) FROM seats").fetchone() == (3,)


@pytest.mark.xdist_group("warehouse_pg")
def test_postgresql_export_is_idempotent_and_password_comes_from_the_environment(
    workspace: Workspace, accounts: list[Account], pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RETAIN_TEST_WH_PASSWORD", "unused-with-trust-auth")
    connection = connect(workspace, pg_url, secret_env="RETAIN_TEST_WH_PASSWORD")
    measure_run(workspace=workspace, measure=measure(connection, SEATS_SQL), day=D)
    services.scorecard_publish(workspace=workspace, actor=None, text=SEATS_CARD)
    services.health_recompute(workspace=workspace, day=D)
    for _ in range(2):
        run = health_export(workspace=workspace, connection=connection, day=D)
        assert (run.error, run.rows) == ("", 2)
    with psycopg.connect(pg_url.replace("+psycopg", "")) as db:
        rows = db.execute(
            "SELECT workspace, account_external_id, health_band FROM retain_account_health ORDER BY 2"
        ).fetchall()
    assert rows == [(workspace.slug, "crm-1", "green"), (workspace.slug, "crm-2", "red")]
    monkeypatch.delenv("RETAIN_TEST_WH_PASSWORD")
    assert "RETAIN_TEST_WH_PASSWORD" in connection_test(workspace=workspace, connection=connection).error
