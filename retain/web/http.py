"""The request type of views that answer htmx requests differently."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request through django-htmx's middleware: `request.htmx` is true for a request htmx made,
    and holds its headers (`request.htmx.target` is HX-Target)."""

    htmx: HtmxDetails
