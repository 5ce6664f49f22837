"""Defining warehouse connections and measures: checked, field by field, before anything is saved."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from retain.health.choices import MatchOn, WarehouseDirection
from retain.health.models import WarehouseConnection, WarehouseMeasure
from retain.health.warehouse.connect import check_secret_env, check_url
from retain.health.warehouse.export import TABLE_NAME
from retain.health.warehouse.kinds import KEY
from retain.tenancy.models import Member, Workspace

MAX_TIMEOUT = 3600
MAX_ROW_LIMIT = 5_000_000


def connection_save(
    *,
    workspace: Workspace,
    actor: Member | None,
    name: str,
    url: str,
    secret_env: str = "",
    export_table: str = "retain_account_health",
    connection: WarehouseConnection | None = None,
) -> WarehouseConnection:
    """Create a connection (or change `connection`); ValidationError names the field at fault."""

    errors: dict[str, str] = {}
    name, url, secret_env, export_table = name.strip(), url.strip(), secret_env.strip(), export_table.strip()
    if not name:
        errors["name"] = "is required"
    problem = check_url(url) if url else "is required"
    if problem:
        errors["url"] = problem
    problem = check_secret_env(secret_env)
    if problem:
        errors["secret_env"] = problem
    if export_table and not re.match(TABLE_NAME, export_table):
        errors["export_table"] = "must be a plain table name (letters, digits, underscores)"
    taken = WarehouseConnection.objects.filter(workspace=workspace, name=name)
    if connection is not None:
        taken = taken.exclude(pk=connection.pk)
    if name and taken.exists():
        errors["name"] = f"a connection named {name!r} exists already"
    if errors:
        raise ValidationError(errors)
    row = connection or WarehouseConnection(workspace=workspace)
    if row.workspace_id != workspace.pk:
        raise ValueError("the connection belongs to another workspace")
    row.name, row.url, row.secret_env, row.export_table = name, url, secret_env, export_table
    row.save()
    return row


def measure_check(
    workspace: Workspace, data: dict[str, Any], measure: WarehouseMeasure | None = None
) -> dict[str, str]:
    """The problems with a measure's fields, by field name."""
    errors: dict[str, str] = {}
    key = str(data.get("key", "")).strip()
    if not KEY.match(key):
        errors["key"] = "must be 1 to 60 letters, digits, hyphens or underscores"
    else:
        taken = WarehouseMeasure.objects.filter(workspace=workspace, key=key)
        if measure is not None:
            taken = taken.exclude(pk=measure.pk)
        if taken.exists():
            errors["key"] = f"a measure with key {key!r} exists already"
    if not str(data.get("name", "")).strip():
        errors["name"] = "is required"
    if not str(data.get("sql", "")).strip():
        errors["sql"] = "is required"
    connection = data.get("connection")
    if not isinstance(connection, WarehouseConnection) or connection.workspace_id != workspace.pk:
        errors["connection"] = "pick one of the workspace's connections"
    if data.get("match_on") not in MatchOn.values:
        errors["match_on"] = f"must be one of {', '.join(MatchOn.values)}"
    if data.get("direction") not in WarehouseDirection.values:
        errors["direction"] = "must be 1 (higher is healthier) or -1 (lower is healthier)"
    timeout = data.get("timeout_seconds")
    if not isinstance(timeout, int) or not 1 <= timeout <= MAX_TIMEOUT:
        errors["timeout_seconds"] = f"must be a whole number of seconds from 1 to {MAX_TIMEOUT}"
    limit = data.get("row_limit")
    if not isinstance(limit, int) or not 1 <= limit <= MAX_ROW_LIMIT:
        errors["row_limit"] = f"must be a whole number from 1 to {MAX_ROW_LIMIT:,}"
    return errors


def measure_save(
    *, workspace: Workspace, actor: Member | None, data: dict[str, Any], measure: WarehouseMeasure | None = None
) -> WarehouseMeasure:
    """Create a measure (or change `measure`) from `data` (the form's cleaned fields)."""
    errors = measure_check(workspace, data, measure)
    if errors:
        raise ValidationError(errors)
    row = measure or WarehouseMeasure(workspace=workspace)
    if row.workspace_id != workspace.pk:
        raise ValueError("the measure belongs to another workspace")
    for field in ("connection", "match_on", "direction", "timeout_seconds", "row_limit"):
        setattr(row, field, data[field])
    row.key, row.name, row.sql = data["key"].strip(), data["name"].strip(), data["sql"].strip()
    row.unit = str(data.get("unit", "")).strip()
    row.enabled = bool(data.get("enabled", True))
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        raise ValidationError({"key": "a measure with this key was saved meanwhile"}) from None
    return row
