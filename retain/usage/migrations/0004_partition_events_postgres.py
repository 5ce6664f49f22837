"""On PostgreSQL, usage_event becomes a table partitioned by month, its dedup keys a table of their
own (retain/usage/partitions.py says why and how). SQLite keeps one table: nothing happens there.
The model's state is unchanged: the ORM reads and writes the partitioned table as it did the plain one."""

from django.db import migrations
from django.utils import timezone


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from retain.usage import partitions

    partitions.convert(schema_editor, today=timezone.now().date())


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from retain.usage import partitions

    partitions.convert_back(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ("usage", "0003_unmatched_groups"),
        ("tenancy", "0010_job_runs"),
        ("accounts", "0011_account_from_unknown_group"),
    ]

    operations = [migrations.RunPython(forward, backward)]
