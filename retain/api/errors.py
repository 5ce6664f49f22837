"""Every API error has one JSON shape, whatever raised it.

    {"errors": {"<name>": ["<message>", ...], ...}}

<name> is the field (or list filter, or `workspace`) the message is about; a nested field is named
with dots (`contacts.1`). Errors about the request as a whole (401, 403, 404, 405, 429, or a
validation error that belongs to no single field) use the name `detail`. The HTTP status says which
kind of error it is; 401 also carries `WWW-Authenticate: Token`, 429 a `Retry-After`.

Django ValidationErrors raised by services (which name the field) are answered as 400 like DRF's own.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

WHOLE_REQUEST = "detail"
_WHOLE_REQUEST_KEYS = {NON_FIELD_ERRORS, api_settings.NON_FIELD_ERRORS_KEY, "detail"}


def _from_django(exc: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError(exc.message_dict)
    return exceptions.ValidationError({WHOLE_REQUEST: exc.messages})


def flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail (dicts, lists, strings) as one level of name → messages."""
    out: dict[str, list[str]] = {}

    def add(name: str, message: Any) -> None:
        out.setdefault(name or WHOLE_REQUEST, []).append(str(message))

    if isinstance(detail, dict):
        for key, value in detail.items():
            name = WHOLE_REQUEST if key in _WHOLE_REQUEST_KEYS and not prefix else f"{prefix}{key}"
            for inner, messages in flatten(value, f"{name}.").items():
                out.setdefault(inner, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            for item in detail:
                add(prefix.rstrip("."), item)
        else:
            for index, item in enumerate(detail):
                if item:
                    for inner, messages in flatten(item, f"{prefix}{index}.").items():
                        out.setdefault(inner, []).extend(messages)
    else:
        add(prefix.rstrip("."), detail)
    return out


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = _from_django(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # not an API error (a bug): Django's 500 handling and logging apply
    response.data = {"errors": flatten(response.data)}
    return response
