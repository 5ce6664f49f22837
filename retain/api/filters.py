"""List filters shared by the API's endpoints."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms

from retain.lib.columns import MAX_BIGINT


class IdFilter(django_filters.NumberFilter):
    """An id to filter on: a whole number an id column can hold, else a 400 naming the filter.

    django-filter's NumberFilter takes any decimal, and an id past 64 bits makes SQLite raise
    OverflowError (a 500) where PostgreSQL would just find nothing.
    """

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_BIGINT)
        super().__init__(*args, **kwargs)
