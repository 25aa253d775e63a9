"""Payment-channel notifies partitioned by month of received_at on PostgreSQL (portal.ops.partitions).

The unique (channel, notify_id) cannot stay on the partitioned table (it would need received_at, and a
retry arrives at another time): ChannelNotifyKey keeps it, filled by a trigger in the same statement as the
insert, so a second copy still fails with IntegrityError. duplicate_of and Settlement.scan_session lose
their database foreign keys (a foreign key to a partitioned table needs its partition key); the scan
sessions are partitioned by vouchers.0005, which runs after this migration.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from portal.ops.partition_migration import convert_to_partitioned, convert_to_plain

TABLE = "payments_channelnotification"
# Where channel_notify_once stood: finds the first copy of a duplicate (payments.online.notifies).
LOOKUP = f'CREATE INDEX "channel_notify_lookup" ON "{TABLE}" ("channel", "notify_id")'

GUARD = """
CREATE OR REPLACE FUNCTION payments_channelnotification_notify_once() RETURNS trigger AS $$
BEGIN
    IF NEW.notify_id IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.notify_id IS DISTINCT FROM OLD.notify_id
                                      OR NEW.channel IS DISTINCT FROM OLD.channel) THEN
        INSERT INTO payments_channelnotifykey (channel, notify_id, received_at)
        VALUES (NEW.channel, NEW.notify_id, NEW.received_at);
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    convert_to_partitioned(
        schema_editor,
        table=TABLE,
        key="received_at",
        replace_unique={"channel_notify_once": LOOKUP},
        months_ahead=getattr(settings, "PARTITION_MONTHS_AHEAD", 3),
    )
    schema_editor.execute(
        "INSERT INTO payments_channelnotifykey (channel, notify_id, received_at) "
        f"SELECT channel, notify_id, received_at FROM {TABLE} WHERE notify_id IS NOT NULL"
    )
    schema_editor.execute(GUARD, params=None)
    schema_editor.execute(
        f"CREATE TRIGGER {TABLE}_notify_once BEFORE INSERT OR UPDATE OF channel, notify_id ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION payments_channelnotification_notify_once()"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_notify_once ON {TABLE}")
    schema_editor.execute("DROP FUNCTION IF EXISTS payments_channelnotification_notify_once()")
    convert_to_plain(
        schema_editor,
        table=TABLE,
        restore_unique={"channel_notify_once": '"channel", "notify_id"'},
        drop_indexes=("channel_notify_lookup",),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0009_onlinerefundevent_settlementreviewevent"),
    ]

    operations = [
        migrations.AlterField(
            model_name="channelnotification",
            name="duplicate_of",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="payments.channelnotification",
            ),
        ),
        migrations.AlterField(
            model_name="settlement",
            name="scan_session",
            field=models.OneToOneField(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="settlement",
                to="vouchers.scansession",
            ),
        ),
        migrations.CreateModel(
            name="ChannelNotifyKey",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("channel", models.CharField(max_length=20)),
                ("notify_id", models.CharField(max_length=64)),
                ("received_at", models.DateTimeField(db_index=True)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("channel", "notify_id"), name="channel_notify_key_once")
                ],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
