"""CSV for the API's lists: `?format=csv` answers the same rows as the JSON list, one line each.

The rows are the serializer's fields as columns (nested values written as JSON) and the whole list,
not one page of it; an error is answered as `field,message` lines.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rest_framework.renderers import BaseRenderer, JSONRenderer

from retain.lib.csvsafe import MEDIA_TYPE, write_csv


def _cell(value: Any) -> Any:
    """Nested values as JSON; the safe writer neutralises formulas and keeps numbers numbers."""
    return json.dumps(value, default=str) if isinstance(value, dict | list) else value


class CsvRenderer(BaseRenderer):
    media_type = MEDIA_TYPE
    format = "csv"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Mapping[str, Any] | None = None
    ) -> bytes:
        rows: list[Any]
        if isinstance(data, Mapping) and "results" in data:
            rows = list(data["results"])
        elif isinstance(data, list):
            rows = data
        elif isinstance(data, Mapping) and "errors" in data:
            rows = [{"field": k, "message": "; ".join(map(str, v))} for k, v in dict(data["errors"]).items()]
        else:
            rows = [data] if data is not None else []
        columns = list(rows[0].keys()) if rows and isinstance(rows[0], Mapping) else _columns(renderer_context)
        # Never an empty body: an empty list is its header line (an empty answer would lose its type).
        lines = [columns or ["empty"], *([_cell(row.get(c)) for c in columns] for row in rows)]
        return write_csv(lines).encode()


def _columns(renderer_context: Mapping[str, Any] | None) -> list[str]:
    """The columns of an empty list: the fields of the serializer the view answers with."""
    view = (renderer_context or {}).get("view")
    if view is None:
        return []
    try:
        serializer = view.get_serializer_class()()
    except (AssertionError, TypeError):
        return []
    return list(serializer.fields.keys())


LIST_RENDERERS = [JSONRenderer, CsvRenderer]


def wants_csv(request: Any) -> bool:
    renderer = getattr(request, "accepted_renderer", None)
    return getattr(renderer, "format", "") == "csv"
