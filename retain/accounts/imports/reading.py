"""Bytes to a table of text: encoding, delimiter, header and rows with their physical line numbers.

Accepted: UTF-8 with or without a byte-order mark, UTF-16 with one; comma, semicolon or tab as the
delimiter, sniffed from the header line (CRM exports in European locales use semicolons because the
comma is their decimal separator). Pure: no Django.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass

from retain.accounts.imports.problems import FileRefused, Problem

DELIMITERS = (",", ";", "\t")
REPLACEMENT = "\ufffd"
MAX_ENCODING_PROBLEMS = 20
ENCODING_ADVICE = "save the file as UTF-8, or as UTF-16 with a byte-order mark"


@dataclass
class Table:
    """A CSV file read into memory: its header and its non-blank rows, each with its first line."""

    headers: list[str]
    rows: list[tuple[int, list[str]]]
    delimiter: str
    encoding: str


def _encoding_of(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8"


def sniff_delimiter(first_line: str) -> str:
    """The candidate that splits the header line most often, counting only outside quotes."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in first_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _parse(text: str) -> tuple[str, list[tuple[int, int, list[str]]]]:
    """Records as (first line, last line, fields); blank lines are skipped."""
    first_line = text.split("\n", 1)[0]
    delimiter = sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[tuple[int, int, list[str]]] = []
    last = 0
    try:
        for fields in reader:
            start, last = last + 1, reader.line_num
            if any(field.strip() for field in fields):
                records.append((start, last, fields))
    except csv.Error as exc:
        line = reader.line_num or 1
        if "NUL" in str(exc):
            message = f"the file contains NUL bytes (is it UTF-16 without a byte-order mark?): {ENCODING_ADVICE}"
        else:
            message = f"the file cannot be read as CSV: {exc}"
        raise FileRefused([Problem(line, "", message)]) from None
    return delimiter, records


def _bad_bytes_by_line(data: bytes) -> dict[int, bytes]:
    """For UTF-8 input: per physical line, the bytes that do not decode."""
    bad: dict[int, bytes] = {}
    for number, raw in enumerate(data.split(b"\n"), start=1):
        position = 0
        while position < len(raw):
            try:
                raw[position:].decode("utf-8")
                break
            except UnicodeDecodeError as exc:
                bad[number] = bad.get(number, b"") + raw[position + exc.start : position + exc.end]
                position += exc.end
    return bad


def _undecodable(data: bytes, encoding: str, error: UnicodeDecodeError) -> FileRefused:
    """Name every field holding bytes that do not decode, by line and column."""
    if encoding != "utf-8":
        line = data[: error.start].decode(encoding, errors="replace").count("\n") + 1
        return FileRefused([Problem(line, "", f"the bytes are not valid {encoding.upper()}: {ENCODING_ADVICE}")])
    bad = _bad_bytes_by_line(data)
    _, records = _parse(data.decode(encoding, errors="replace"))
    problems: list[Problem] = []
    headers = [h.strip() for h in records[0][2]] if records else []
    for index, (start, end, fields) in enumerate(records):
        raw = b"".join(bad.get(n, b"") for n in range(start, end + 1))
        shown = " ".join(f"0x{byte:02X}" for byte in raw[:8])
        message = f"bytes {shown} are not valid UTF-8: {ENCODING_ADVICE}"
        if index == 0:
            if REPLACEMENT in "".join(fields):
                problems.append(Problem(start, "", message))
            continue
        for position, field in enumerate(fields):
            if REPLACEMENT in field:
                column = headers[position] if position < len(headers) else f"field {position + 1}"
                problems.append(Problem(start, column, message))
        if len(problems) >= MAX_ENCODING_PROBLEMS:
            break
    if not problems:
        line = data[: error.start].count(b"\n") + 1
        problems.append(Problem(line, "", f"bytes are not valid UTF-8: {ENCODING_ADVICE}"))
    return FileRefused(problems)


def read_table(data: bytes) -> Table:
    encoding = _encoding_of(data)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise _undecodable(data, encoding, exc) from None
    delimiter, records = _parse(text)
    if not records:
        raise FileRefused([Problem(0, "", "the file is empty: it needs a header line and at least one row")])
    _, _, header = records[0]
    rows = [(start, fields) for start, _, fields in records[1:]]
    return Table(headers=[h.strip() for h in header], rows=rows, delimiter=delimiter, encoding=encoding)
