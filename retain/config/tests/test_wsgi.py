"""The WSGI application sends `/v1/` through the lean ingest handler and everything else through the full stack."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from retain.config import wsgi
from retain.config.middleware import DatabaseBusyMiddleware
from retain.tenancy.services import workspace_create, write_key_create
from retain.usage.models import UsageEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_test_connection() -> Iterator[None]:
    # Django's test client does the same: the handler's signals would close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _call(path: str, *, method: str = "GET", body: bytes = b"", auth: str = "") -> tuple[str, dict[str, str], bytes]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "SERVER_NAME": "testserver", "SERVER_PORT": "80",
        "HTTP_HOST": "testserver", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": "application/json", "REMOTE_ADDR": "127.0.0.1",
    }  # fmt: skip
    if auth:
        environ["HTTP_AUTHORIZATION"] = auth
    answer: list[Any] = []
    chunks = wsgi.application(environ, lambda status, headers, *rest: answer.extend([status, headers]))
    try:
        data = b"".join(chunks)
    finally:
        getattr(chunks, "close", lambda: None)()
    return answer[0], {name.lower(): value for name, value in answer[1]}, data


def test_ingest_middleware_is_the_site_middleware_less_what_does_not_apply() -> None:
    order = [settings.MIDDLEWARE.index(path) for path in wsgi.INGEST_MIDDLEWARE]
    assert order == sorted(order)
    assert "django.contrib.sessions.middleware.SessionMiddleware" not in wsgi.INGEST_MIDDLEWARE
    assert "csp.middleware.CSPMiddleware" not in wsgi.INGEST_MIDDLEWARE
    # A busy database still answers 503 + Retry-After on the ingest path.
    wsgi.ingest_application.load_middleware()
    owners = [type(getattr(hook, "__self__", None)) for hook in wsgi.ingest_application._exception_middleware or []]
    assert DatabaseBusyMiddleware in owners


def test_a_batch_goes_through_the_ingest_handler_and_is_stored() -> None:
    workspace = workspace_create(name="Lean", slug="lean")
    key = write_key_create(workspace=workspace, name="k")[1]
    auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    batch = {
        "batch": [{"type": "track", "userId": "u1", "event": "Report Viewed", "messageId": f"m{i}"} for i in range(3)]
    }
    status, headers, data = _call("/v1/batch", method="POST", body=orjson.dumps(batch), auth=auth)
    assert status.startswith("200"), data
    assert orjson.loads(data)["accepted"] == 3
    assert UsageEvent.objects.filter(workspace=workspace).count() == 3
    # The security headers still apply; the page-only middleware left no trace.
    assert headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in headers
    assert "set-cookie" not in headers
    assert "x-frame-options" not in headers


def test_pages_still_go_through_the_full_stack() -> None:
    status, headers, _ = _call("/login/")
    assert status.startswith("200")
    assert "content-security-policy" in headers
    assert headers["x-frame-options"] == "DENY"
    assert "csrftoken" in headers.get("set-cookie", "")


def test_a_bad_write_key_is_refused_on_the_ingest_path() -> None:
    status, _, data = _call("/v1/batch", method="POST", body=b'{"batch": []}', auth="Basic eDo=")
    assert status.startswith("401"), data
