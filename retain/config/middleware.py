"""A request that finds the database busy answers 503 with Retry-After, never a 500.

On SQLite one writer holds the write lock at a time; a request's write waits for it (the busy
timeout in settings: SQLite retries the lock until then), and long work (history imports, folds)
commits in short transactions so that wait stays brief. Should the lock still not come free in
time, the person or program is told to try again shortly, as the ingest API does, instead of
seeing a server error for what is only a queue.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5
BUSY = ("database is locked", "database table is locked")
MESSAGE = "The database is busy with other work; try again in a few seconds."


def is_busy(exception: BaseException) -> bool:
    return isinstance(exception, OperationalError) and str(exception).strip().lower() in BUSY


class DatabaseBusyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_busy(exception):
            return None
        log.warning("database busy, answered 503: %s %s", request.method, request.path)
        response: HttpResponse
        if request.path.startswith(("/api/", "/v1/")):
            response = JsonResponse({"detail": MESSAGE}, status=503)
        else:
            response = HttpResponse(
                f"<!doctype html><title>Busy · Retain</title><h1>Busy</h1><p>{MESSAGE}</p>",
                status=503,
                content_type="text/html; charset=utf-8",
            )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
