"""Search every text column of every table in the database, for tests that something is gone."""

from __future__ import annotations

import json

from django.apps import apps
from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast


def mentions(text: str) -> list[str]:
    """ "table.column #id" for every row of every table (Django's and Retain's) whose text holds `text`."""
    variants = {text, json.dumps(text)[1:-1]}
    hits = []
    for model in apps.get_models(include_auto_created=True):
        for column in model._meta.concrete_fields:
            rows = model._default_manager.all()
            if isinstance(column, models.JSONField):
                rows = rows.annotate(_text=Cast(column.attname, models.TextField()))
                lookup = "_text__icontains"
            elif isinstance(column, models.CharField | models.TextField):
                lookup = f"{column.attname}__icontains"
            else:
                continue
            where = Q()
            for variant in variants:
                where |= Q(**{lookup: variant})
            for pk in rows.filter(where).values_list("pk", flat=True):
                hits.append(f"{model._meta.db_table}.{column.attname} #{pk}")
    return hits
