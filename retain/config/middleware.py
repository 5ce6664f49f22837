"""A request that finds the database busy or restarting answers 503 with Retry-After, never a 500.

On SQLite one writer holds the write lock at a time; a request's write waits for it (the busy
timeout in settings: SQLite retries the lock until then), and long work (history imports, folds)
commits in short transactions so that wait stays brief. Should the lock still not come free in
time, the person or program is told to try again shortly, as the ingest API does, instead of
seeing a server error for what is only a queue.

On PostgreSQL the same goes for a server that is restarting (a failover, an upgrade): a request whose
connection the shutdown terminates, or whose new connection is refused while the server stops or
starts, is asked to try again; Django drops the broken connection at the request's end, so the
process's next request connects afresh.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5
BUSY = ("database is locked", "database table is locked")
MESSAGE = "The database is busy with other work; try again in a few seconds."
UNAVAILABLE_MESSAGE = "The database is unavailable for a moment (restarting); try again in a few seconds."
# SQLSTATE of a server going away: connection exceptions (class 08), admin/crash shutdown, cannot connect now.
UNAVAILABLE_STATES = ("08", "57P01", "57P02", "57P03")
UNAVAILABLE = (
    "connection failed:",  # psycopg could not connect (the server shutting down, starting up or gone)
    "server closed the connection unexpectedly",
    "consuming input failed",
    "the connection is closed",
    "connection already closed",
    "terminating connection due to administrator command",
)


def is_busy(exception: BaseException) -> bool:
    return isinstance(exception, OperationalError) and str(exception).strip().lower() in BUSY


def is_unavailable(exception: BaseException) -> bool:
    """The database server is restarting or unreachable (not a fault of the request or of the schema)."""
    if not isinstance(exception, OperationalError | InterfaceError):
        return False
    state = getattr(exception.__cause__, "sqlstate", None) or ""
    if state.startswith(UNAVAILABLE_STATES):
        return True
    text = str(exception).strip().lower()
    return any(sign in text for sign in UNAVAILABLE)


class DatabaseBusyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_busy(exception):
            message = MESSAGE
        elif is_unavailable(exception):
            message = UNAVAILABLE_MESSAGE
        else:
            return None
        log.warning("database busy or unavailable, answered 503: %s %s (%s)", request.method, request.path, exception)
        response: HttpResponse
        if request.path.startswith(("/api/", "/v1/")):
            response = JsonResponse({"detail": message}, status=503)
        else:
            response = HttpResponse(
                f"<!doctype html><title>Busy · Retain</title><h1>Busy</h1><p>{message}</p>",
                status=503,
                content_type="text/html; charset=utf-8",
            )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
