"""Q&A searches partitioned by month of created_at on PostgreSQL (portal.ops.partitions)."""

from django.conf import settings
from django.db import migrations

from portal.ops.partition_migration import convert_to_partitioned, convert_to_plain

TABLE = "qa_searchlog"


def forwards(apps, schema_editor):
    convert_to_partitioned(
        schema_editor, table=TABLE, key="created_at", months_ahead=getattr(settings, "PARTITION_MONTHS_AHEAD", 3)
    )


def backwards(apps, schema_editor):
    convert_to_plain(schema_editor, table=TABLE)


class Migration(migrations.Migration):
    dependencies = [("qa", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
