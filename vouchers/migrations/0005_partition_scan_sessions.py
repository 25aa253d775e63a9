"""Scan sessions partitioned by month of created_at on PostgreSQL (portal.ops.partitions).

The nonce's uniqueness (what makes an e-voucher code one-time) cannot stay on the partitioned table: it
would have to include created_at, the scan's time, and then the same code scanned twice (a second apart,
or either side of a month's end) would pass. RedeemedNonce keeps it: a BEFORE INSERT trigger inserts the
nonce there in the same statement, so a replay fails with IntegrityError as before (code_replayed).
Runs after payments.0010, which removed the database foreign key from settlements to scan sessions.
"""

from datetime import timedelta

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

from portal.ops.partition_migration import convert_to_partitioned, convert_to_plain

TABLE = "vouchers_scansession"

GUARD = """
CREATE OR REPLACE FUNCTION vouchers_scansession_redeem_nonce() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.nonce IS DISTINCT FROM OLD.nonce THEN
        INSERT INTO vouchers_redeemednonce (nonce, redeemed_at) VALUES (NEW.nonce, NEW.created_at);
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
        key="created_at",
        replace_unique={"vouchers_scansession_nonce_key": None},  # the _like index still serves lookups
        months_ahead=getattr(settings, "PARTITION_MONTHS_AHEAD", 3),
    )
    # Codes redeemed lately (only they could still be replayed; older ones have expired).
    since = timezone.now() - timedelta(hours=getattr(settings, "SCAN_NONCE_KEEP_HOURS", 48))
    schema_editor.execute(
        f"INSERT INTO vouchers_redeemednonce (nonce, redeemed_at) SELECT nonce, created_at FROM {TABLE} "
        "WHERE created_at >= %s",
        [since],
    )
    schema_editor.execute(GUARD, params=None)
    schema_editor.execute(
        f"CREATE TRIGGER {TABLE}_nonce_once BEFORE INSERT OR UPDATE OF nonce ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION vouchers_scansession_redeem_nonce()"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_nonce_once ON {TABLE}")
    schema_editor.execute("DROP FUNCTION IF EXISTS vouchers_scansession_redeem_nonce()")
    convert_to_plain(schema_editor, table=TABLE, restore_unique={"vouchers_scansession_nonce_key": '"nonce"'})


class Migration(migrations.Migration):
    dependencies = [
        ("vouchers", "0004_holding_requests_without_an_oracle"),
        ("payments", "0010_partition_channel_notifications"),
    ]

    operations = [
        migrations.CreateModel(
            name="RedeemedNonce",
            fields=[
                ("nonce", models.CharField(max_length=16, primary_key=True, serialize=False)),
                ("redeemed_at", models.DateTimeField(db_index=True)),
            ],
            options={
                "verbose_name": "已核销医保码随机数 / redeemed code nonce",
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
