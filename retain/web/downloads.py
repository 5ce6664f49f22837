"""CSV downloads: every export's response is built here, its cells written by retain.lib.csvsafe."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse

from retain.lib.csvsafe import write_csv

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def csv_response(rows: Iterable[Iterable[Any]], filename: str) -> HttpResponse:
    """A whole table as one attachment."""
    response = HttpResponse(write_csv(rows), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_stream(rows: Iterable[Iterable[Any]], filename: str) -> StreamingHttpResponse:
    """A long table as an attachment written row by row, so a large workspace is never held in memory."""
    response = StreamingHttpResponse((write_csv([row]) for row in rows), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
