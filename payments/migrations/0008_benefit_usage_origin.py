from django.db import migrations, models


def fill_origin(apps, schema_editor):
    """Existing rows: an item's give-back (``S...#3``) belongs to its settlement; an online refund's rows
    to the refund's order; every other row is its own origin."""
    usage = apps.get_model("payments", "BenefitUsage")
    refund = apps.get_model("payments", "OnlineRefund")
    orders = dict(refund.objects.values_list("number", "order__number"))
    for row in usage.objects.all().only("pk", "reference"):
        origin = orders.get(row.reference) or row.reference.split("#", 1)[0]
        usage.objects.filter(pk=row.pk).update(origin=origin)  # historical models have a plain manager


class Migration(migrations.Migration):
    dependencies = [("payments", "0007_status_history")]

    operations = [
        migrations.AddField(
            model_name="benefitusage",
            name="origin",
            field=models.CharField(
                db_index=True,
                default="",
                help_text="The settlement or online order whose usage this is (or gives back).",
                max_length=100,
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill_origin, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="benefitusage",
            name="reference",
            field=models.CharField(help_text="This write: the origin, an item of it, or a refund.", max_length=100),
        ),
    ]
