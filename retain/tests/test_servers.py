"""`make soak`'s own PostgreSQL cluster and Redis: started on a free port, restarted in place, gone afterwards.

A few seconds of initdb; marked engine_neutral so it runs once (in the SQLite pass), whatever the
suite's database: the cluster is its own either way.
"""

from __future__ import annotations

import os

import psycopg
import pytest
import redis

from retain.tests.servers import PostgresCluster, RedisServer, pg_bindir

pytestmark = pytest.mark.engine_neutral


def _skip_or_fail(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def test_the_soak_s_own_postgres_restarts_in_place_and_leaves_nothing_behind() -> None:
    if pg_bindir() is None:
        _skip_or_fail("PostgreSQL's initdb and pg_ctl are not installed (apt-get install postgresql)")
    cluster = PostgresCluster(settings={"max_connections": "40"})
    with cluster:
        assert cluster.port != 5432 and cluster.folder is not None
        folder = cluster.folder
        with psycopg.connect(cluster.url(), autocommit=True) as db:
            db.execute("CREATE DATABASE kept")
            first = db.execute("SELECT pg_postmaster_start_time(), current_setting('max_connections')").fetchone()
        held = psycopg.connect(cluster.url("kept"))
        cluster.restart()
        with pytest.raises(psycopg.OperationalError):  # the fast shutdown cut the open connection
            held.execute("SELECT 1")
        held.close()
        with psycopg.connect(cluster.url("kept")) as db:  # same port, same settings, same data
            again = db.execute("SELECT pg_postmaster_start_time(), current_setting('max_connections')").fetchone()
        assert first is not None and again is not None
        assert again[0] > first[0] and again[1] == first[1] == "40"
        assert cluster.restarts == 1
    assert not folder.exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(cluster.url(), connect_timeout=5)


def test_the_soak_s_own_redis_answers_and_goes_away() -> None:
    try:
        server = RedisServer()
    except RuntimeError as missing:
        _skip_or_fail(str(missing))
    with server:
        assert server.port != 6379
        client = redis.Redis.from_url(server.url(3))
        client.set("k", "v")
        assert client.get("k") == b"v"
        client.close()
        folder = server.folder
    assert folder is not None and not folder.exists()
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(server.url(0), socket_connect_timeout=5).ping()
