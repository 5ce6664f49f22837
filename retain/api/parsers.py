"""The API's JSON parser: DRF's, with a body nested too deeply refused as a 400, not a 500.

Python's json module recurses once per level, so `[[[[…]]]]` a hundred thousand deep raises
RecursionError, which DRF's parser (catching ValueError only) lets through as a server error.
"""

from __future__ import annotations

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply") from None


class MultiPartParser(parsers.MultiPartParser):
    """DRF's, with a body that holds no part at all refused as a 400: a malformed body (text where
    the parts should be) otherwise reads as an empty form, and a PATCH of nothing answers 200."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        result = super().parse(stream, media_type, parser_context)
        request = (parser_context or {}).get("request")
        length = request.META.get("CONTENT_LENGTH") if request is not None else None
        if not result.data and not result.files and str(length or "0").strip() not in ("", "0"):
            raise ParseError("Multipart form parse error - the body holds no part")
        return result
