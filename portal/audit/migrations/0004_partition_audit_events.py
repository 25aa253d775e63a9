"""Audit events partitioned by month of ``at`` on PostgreSQL (portal.ops.partitions).

The append-only trigger is recreated on the partitioned table (and so on every partition).
"""

from django.conf import settings
from django.db import migrations

from portal.ops.partition_migration import convert_to_partitioned, convert_to_plain

TABLE = "audit_auditevent"


def forwards(apps, schema_editor):
    convert_to_partitioned(
        schema_editor, table=TABLE, key="at", months_ahead=getattr(settings, "PARTITION_MONTHS_AHEAD", 3)
    )


def backwards(apps, schema_editor):
    convert_to_plain(schema_editor, table=TABLE)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_append_only_trigger")]

    operations = [migrations.RunPython(forwards, backwards)]
