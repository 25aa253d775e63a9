"""Ledger entries get created_at (the insert's database time) and, on PostgreSQL, monthly partitions.

Existing entries take their transaction's created_at. The append-only trigger is recreated on the
partitioned table (and so on every partition). The ledger is never archived (portal.ops.partitions).
"""

import django.db.models.functions.datetime
from django.conf import settings
from django.db import migrations, models

from portal.ops.partition_migration import convert_to_partitioned, convert_to_plain

TABLE = "ledger_ledgerentry"
FROM_TRANSACTION = "(SELECT t.created_at FROM ledger_ledgertransaction t WHERE t.id = src.transaction_id)"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        # SQLite: no partitions and no append-only trigger; existing entries take their transaction's time.
        schema_editor.execute(
            f"UPDATE {TABLE} SET created_at = (SELECT t.created_at FROM ledger_ledgertransaction t "
            f"WHERE t.id = {TABLE}.transaction_id)"
        )
        return
    convert_to_partitioned(
        schema_editor,
        table=TABLE,
        key="created_at",
        fill={"created_at": FROM_TRANSACTION},
        months_ahead=getattr(settings, "PARTITION_MONTHS_AHEAD", 3),
    )


def backwards(apps, schema_editor):
    convert_to_plain(schema_editor, table=TABLE)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0005_alter_ledgeraccount_kind")]

    operations = [
        migrations.AddField(
            model_name="ledgerentry",
            name="created_at",
            field=models.DateTimeField(
                db_default=django.db.models.functions.datetime.Now(),
                editable=False,
                help_text="The database's time of the insert; on PostgreSQL the month partition's key.",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
