"""Query parameters are read strictly: a filter or a page given a value it cannot use answers 400.

django-filter and DRF's pagination read a value they cannot use as "no filter" or "the first page of
the default size": `?is_active=` listed inactive members too, `?limit=ten` gave 50 rows and
`?offset=-3` the first page. A typo silently widened the answer, and the schema promised otherwise
(schemathesis's negative examples found each of these). Here an empty filter value, a boolean other
than `true`/`false`, and a `limit` or `offset` that is not a whole number in range are refused with
the parameter named, like any other bad input.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

MAX_PAGE = 500  # rows per page at most, whatever `limit` asks for
# The largest offset any database accepts (a signed 64-bit integer).
MAX_OFFSET = 2**63 - 1
BOOLEANS = ("true", "false")


def whole_number(request: Request, name: str, *, minimum: int, maximum: int) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or not minimum <= int(raw) <= maximum:
        raise exceptions.ValidationError({name: [f"must be a whole number from {minimum} to {maximum}"]})
    return int(raw)


class Pages(LimitOffsetPagination):
    max_limit = MAX_PAGE

    def get_limit(self, request: Request) -> int | None:
        # Beyond MAX_PAGE the page is cut to MAX_PAGE rather than refused: "all of them" is a fair ask.
        limit = whole_number(request, self.limit_query_param, minimum=1, maximum=MAX_OFFSET)
        return self.default_limit if limit is None else min(limit, MAX_PAGE)

    def get_offset(self, request: Request) -> int:
        return whole_number(request, self.offset_query_param, minimum=0, maximum=MAX_OFFSET) or 0

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            minimum = 1 if parameter["name"] == self.limit_query_param else 0
            parameter["schema"] = {**parameter["schema"], "minimum": minimum, "maximum": MAX_OFFSET}
        return parameters


class StrictFilterBackend(DjangoFilterBackend):
    def get_filterset(self, request: Request, queryset: QuerySet[Any], view: Any) -> Any:
        filterset = super().get_filterset(request, queryset, view)
        if filterset is None:
            return None
        errors: dict[str, list[str]] = {}
        for name, declared in filterset.filters.items():
            values = request.query_params.getlist(name)
            if any(value == "" for value in values):
                errors[name] = ["must not be empty; leave the parameter out to not filter"]
            elif isinstance(declared, django_filters.BooleanFilter) and any(v not in BOOLEANS for v in values):
                errors[name] = ["must be true or false"]
        if errors:
            raise exceptions.ValidationError(errors)
        return filterset
