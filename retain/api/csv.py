"""CSV for the API's lists: `?format=csv` answers the same rows as the JSON list, one line each.

The rows are the serializer's fields as columns (nested values written as JSON) and the whole list,
not one page of it; an error is answered as `field,message` lines.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

from rest_framework.renderers import BaseRenderer, JSONRenderer

# A cell starting with one of these would be read as a formula by a spreadsheet.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = json.dumps(value, default=str) if isinstance(value, (dict, list)) else str(value)
    if text.startswith(FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class CsvRenderer(BaseRenderer):
    media_type = "text/csv"
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
        out = io.StringIO()
        writer = csv.writer(out)
        columns = list(rows[0].keys()) if rows and isinstance(rows[0], Mapping) else _columns(renderer_context)
        # Never an empty body: an empty list is its header line (an empty answer would lose its type).
        writer.writerow(columns or ["empty"])
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])
        return out.getvalue().encode()


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
