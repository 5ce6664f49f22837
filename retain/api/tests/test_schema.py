"""The OpenAPI schema at /api/v1/schema/ is public, valid, and built without warnings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

pytestmark = pytest.mark.urls("retain.api.tests.urls")

RESOURCES = ["accounts", "contacts", "subscriptions", "touchpoints", "segments", "members"]


def test_it_serves_a_valid_schema(db: None) -> None:
    response = APIClient().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    for resource in RESOURCES:
        assert f"/api/v1/{resource}/" in schema["paths"]
    assert "/api/v1/subscriptions/{id}/change/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["apiToken"]["name"] == "Authorization"
    listing = schema["paths"]["/api/v1/accounts/"]["get"]
    assert {"tier", "owner", "sort", "limit", "X-Retain-Workspace"} <= {
        param["name"] for param in listing["parameters"]
    }
    errors = schema["paths"]["/api/v1/accounts/"]["post"]["responses"]["400"]
    assert errors["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Errors"}


def test_the_schema_builds_without_warnings(tmp_path: Path) -> None:
    out = tmp_path / "schema.json"
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--format",
        "openapi-json",
        "--urlconf",
        "retain.api.tests.urls",
        "--file",
        str(out),
        skip_checks=True,
    )
    schema = json.loads(out.read_text())
    assert schema["info"]["title"] == "Retain API"
