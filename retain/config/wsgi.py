"""The WSGI application `retain web` serves (gunicorn `retain.config.wsgi:application`).

Two Django handlers share one process. The Segment-compatible ingest API under `/v1/` is called by
programs with a write key and answers JSON: sessions, CSRF, authentication of members, messages,
htmx, frame options and the Content-Security-Policy (which builds a policy for every response)
do nothing for it but cost about a tenth of each batch request. So `/v1/` goes through a handler
that loads only the middleware that applies there (`INGEST_MIDDLEWARE`, a subset of
`settings.MIDDLEWARE` in the same order); every other path goes through the full stack.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application
from django.utils.module_loading import import_string

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retain.config.settings")

INGEST_PREFIX = "/v1/"
# HSTS and nosniff headers still apply to a JSON API; a busy database still answers 503.
INGEST_MIDDLEWARE = (
    "django.middleware.security.SecurityMiddleware",
    "retain.config.middleware.DatabaseBusyMiddleware",
)


class IngestHandler(WSGIHandler):
    """Django's WSGI handler with only `INGEST_MIDDLEWARE` (synchronous middleware only)."""

    def load_middleware(self, is_async: bool = False) -> None:
        if is_async:
            raise ImproperlyConfigured("the ingest handler is synchronous (WSGI)")
        missing = [path for path in INGEST_MIDDLEWARE if path not in settings.MIDDLEWARE]
        if missing:
            raise ImproperlyConfigured(f"INGEST_MIDDLEWARE names middleware not in settings.MIDDLEWARE: {missing}")
        views: list[Callable[..., Any]] = []
        templates: list[Callable[..., Any]] = []
        exceptions: list[Callable[..., Any]] = []
        self._view_middleware, self._template_response_middleware, self._exception_middleware = (
            views,
            templates,
            exceptions,
        )
        handler = convert_exception_to_response(self._get_response)  # type: ignore[attr-defined]  # BaseHandler's, not in the stubs
        for path in reversed(INGEST_MIDDLEWARE):
            instance = import_string(path)(handler)
            if hasattr(instance, "process_view"):
                views.insert(0, instance.process_view)
            if hasattr(instance, "process_template_response"):
                templates.append(instance.process_template_response)
            if hasattr(instance, "process_exception"):
                exceptions.append(instance.process_exception)
            handler = convert_exception_to_response(instance)
        self._middleware_chain = handler


def _dispatch(site: WSGIHandler, ingest: WSGIHandler) -> Callable[..., Iterable[bytes]]:
    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        handler = ingest if environ.get("PATH_INFO", "").startswith(INGEST_PREFIX) else site
        return handler(environ, start_response)

    return application


site_application = get_wsgi_application()
ingest_application = IngestHandler()
application = _dispatch(site_application, ingest_application)
