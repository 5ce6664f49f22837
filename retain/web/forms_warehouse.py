"""Warehouse connection and measure forms."""

from __future__ import annotations

from typing import Any

from django import forms

from retain.health.choices import MatchOn, WarehouseDirection
from retain.health.models import WarehouseConnection, WarehouseMeasure
from retain.health.warehouse.connect import DIALECTS
from retain.tenancy.models import Workspace

SCHEMES = ", ".join(f"{scheme}://" for scheme in DIALECTS)


class ConnectionForm(forms.Form):
    name = forms.CharField(max_length=80)
    url = forms.CharField(
        max_length=500,
        label="SQLAlchemy URL",
        help_text=f"without the password; {SCHEMES} e.g. postgresql://reader@warehouse.internal/analytics",
    )
    secret_env = forms.CharField(
        max_length=100,
        required=False,
        label="Password variable",
        help_text="the environment variable holding the password, set on every web and worker process",
    )
    export_table = forms.CharField(
        max_length=100, initial="retain_account_health", required=False, help_text="where health is exported to"
    )


class MeasureForm(forms.Form):
    connection = forms.ModelChoiceField(queryset=WarehouseConnection.objects.none(), empty_label=None)
    key = forms.CharField(max_length=60, help_text="scorecards name it warehouse.KEY (warehouse_low.KEY)")
    name = forms.CharField(max_length=100)
    sql = forms.CharField(
        label="SQL",
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "code"}),
        help_text="returns columns account, value and optionally day (one value per account and day)",
    )
    match_on = forms.ChoiceField(choices=MatchOn.choices, label="The account column holds")
    direction = forms.TypedChoiceField(choices=WarehouseDirection.choices, coerce=int)
    unit = forms.CharField(max_length=40, required=False)
    timeout_seconds = forms.IntegerField(initial=60, label="Timeout (seconds)")
    row_limit = forms.IntegerField(initial=100_000)
    enabled = forms.BooleanField(required=False, initial=True, help_text="run every night")

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["connection"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = WarehouseConnection.objects.filter(workspace=workspace)

    @classmethod
    def initial_for(cls, measure: WarehouseMeasure) -> dict[str, Any]:
        return {
            "connection": measure.connection_id,
            "key": measure.key,
            "name": measure.name,
            "sql": measure.sql,
            "match_on": measure.match_on,
            "direction": measure.direction,
            "unit": measure.unit,
            "timeout_seconds": measure.timeout_seconds,
            "row_limit": measure.row_limit,
            "enabled": measure.enabled,
        }
