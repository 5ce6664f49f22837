"""The providers' signing secrets encrypted at rest: widen the columns, seal the values already
stored, then read them through SealedCharField (reversible: unseal and narrow back)."""

from collections.abc import Callable
from typing import Any

from django.db import migrations, models

import retain.lib.sealed
from retain.lib import sealed

FIELDS = ("mailgun_signing_key", "slack_signing_secret", "zendesk_signing_secret", "intercom_client_secret")


def _rewrite(apps: Any, schema_editor: Any, change: Callable[[str], str | None]) -> None:
    """Rewrite each stored secret with `change` (None: leave it), reading and writing the columns
    directly, whatever the model's field does with them."""
    table = apps.get_model("routing", "RoutingSetup")._meta.db_table
    quote = schema_editor.connection.ops.quote_name
    columns = ", ".join(quote(name) for name in FIELDS)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {columns} FROM {quote(table)}")
        rows = cursor.fetchall()
        for pk, *values in rows:
            changed = {name: change(value) for name, value in zip(FIELDS, values, strict=True) if value}
            changed = {name: value for name, value in changed.items() if value is not None}
            if changed:
                sets = ", ".join(f"{quote(name)} = %s" for name in changed)
                cursor.execute(f"UPDATE {quote(table)} SET {sets} WHERE id = %s", [*changed.values(), pk])


def seal_stored(apps: Any, schema_editor: Any) -> None:
    _rewrite(apps, schema_editor, lambda value: None if sealed.is_sealed(value) else sealed.seal(value))


def unseal_stored(apps: Any, schema_editor: Any) -> None:
    _rewrite(apps, schema_editor, lambda value: sealed.unseal(value) if sealed.is_sealed(value) else None)


def _plain(length: int) -> list[migrations.AlterField]:
    return [
        migrations.AlterField(
            model_name="routingsetup", name=name, field=models.CharField(blank=True, max_length=length)
        )
        for name in FIELDS
    ]


class Migration(migrations.Migration):
    dependencies = [("routing", "0001_initial")]

    operations = [
        *_plain(500),
        migrations.RunPython(seal_stored, unseal_stored),
        *[
            migrations.AlterField(
                model_name="routingsetup",
                name=name,
                field=retain.lib.sealed.SealedCharField(blank=True, max_length=500),
            )
            for name in FIELDS
        ],
    ]
