"""What a number column can hold, read from the model field itself, the same on every database.

Django checks integer ranges against the connection: PostgreSQL's 32-bit `integer` on PostgreSQL,
but 64 bits on SQLite, and SQLite keeps a 20-digit amount in a 16-digit decimal column that then
cannot be read back (every page showing it answers 500). The limits here are the declared ones
(max_digits and decimal_places; the integer ranges of PostgreSQL's column types), so a value is
refused with the same message on both databases, by services before a write and by the forms and
serializers that take it in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations

# The largest id or count any integer column (or SQLite) holds: 64-bit signed.
MAX_BIGINT = 2**63 - 1
_WHOLE = re.compile(r"[0-9]{1,19}")


def integer_range(field: models.Field[Any, Any]) -> tuple[int, int]:
    """The smallest and largest value an integer field's column holds on every database."""
    low, high = BaseDatabaseOperations.integer_field_ranges[field.get_internal_type()]
    return int(low), int(high)


def integer_max(model: type[models.Model], name: str) -> int:
    """The largest value model.name's column holds on every database (a form's max_value)."""
    return integer_range(model._meta.get_field(name))[1]  # type: ignore[arg-type]  # get_field may return a relation; these names are plain columns


# SQLite keeps a decimal as a double and Django reads it back rounded to this many digits: a value
# that rounds up to 10 ** whole digits (99999999999999.99 in a 16,2 column) cannot be read at all.
SQLITE_DIGITS = 15


def decimal_max(field: models.DecimalField[Any, Any]) -> Decimal:
    """The largest magnitude a decimal field's column holds and gives back on every database."""
    whole = field.max_digits - field.decimal_places  # type: ignore[operator]  # a DecimalField always has max_digits and decimal_places
    step = max(Decimal(10) ** (whole - SQLITE_DIGITS), Decimal(10) ** -field.decimal_places)  # type: ignore[operator]  # a DecimalField always has max_digits and decimal_places
    return (Decimal(10) ** whole - step).quantize(Decimal(10) ** -field.decimal_places)  # type: ignore[operator]  # a DecimalField always has max_digits and decimal_places


def column_error(field: models.Field[Any, Any], value: Any) -> str | None:
    """Why `value` does not fit `field`'s column, or None when it fits (or is not a number field)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(field, models.DecimalField):
        try:
            number = Decimal(value)
            rounded = number.quantize(Decimal(1).scaleb(-field.decimal_places))  # type: ignore[arg-type]  # a DecimalField always has max_digits and decimal_places
        except (InvalidOperation, TypeError, ValueError):
            return "must be a number"
        if not rounded.is_finite():
            return "must be a number"
        largest = decimal_max(field)
        if abs(rounded) > largest:
            return f"must be at most {largest:,}" + (f" and at least {-largest:,}" if rounded < 0 else "")
        return None
    if isinstance(field, models.FloatField):
        try:
            real = float(value)
        except (OverflowError, TypeError, ValueError):
            return "must be a number"
        return None if abs(real) < float("inf") else "must be a finite number"
    if isinstance(field, (models.IntegerField, models.BigIntegerField)) and not field.is_relation:
        if not isinstance(value, int):
            return None  # a type error is the field's own validation's to report
        low, high = integer_range(field)
        if value < low:
            return f"must be at least {low:,}"
        if value > high:
            return f"must be at most {high:,}"
    return None


def check_columns(instance: models.Model, names: Iterable[str] | None = None) -> None:
    """Raise ValidationError naming each number field whose value its column cannot hold."""
    fields = [instance._meta.get_field(name) for name in names] if names is not None else instance._meta.concrete_fields
    errors = {}
    for field in fields:
        if not isinstance(field, models.Field) or field.primary_key:
            continue
        problem = column_error(field, getattr(instance, field.attname))
        if problem:
            errors[field.name] = problem
    if errors:
        raise ValidationError(errors)


def check_value(model: type[models.Model], name: str, value: Any, *, label: str | None = None) -> None:
    """Raise ValidationError (naming `label`, else the field) when `value` does not fit model.name's column."""
    problem = column_error(model._meta.get_field(name), value)  # type: ignore[arg-type]  # get_field may return a relation; these names are plain columns
    if problem:
        raise ValidationError({label or name: problem})


def parse_whole(text: str | None, *, low: int = 0, high: int = MAX_BIGINT) -> int | None:
    """A whole number typed as ASCII digits within [low, high], else None.

    `str.isdigit` is true for "²" and "٣", which int() then refuses or reads; and an id of 25 digits
    makes SQLite raise OverflowError: such values are simply not ids.
    """
    if text is None:
        return None
    text = text.strip()
    if not _WHOLE.fullmatch(text):
        return None
    value = int(text)
    return value if low <= value <= high else None
