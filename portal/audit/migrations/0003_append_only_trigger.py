from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE TRIGGER audit_auditevent_append_only BEFORE UPDATE OR DELETE ON audit_auditevent "
        "FOR EACH ROW EXECUTE FUNCTION portal_refuse_change()"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent")


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_initial"), ("ledger", "0003_append_only_triggers")]
    operations = [migrations.RunPython(forwards, backwards)]
