from django.db import migrations, models
from django.db.models import F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import StrIndex, Substr


def fill_origin(apps, schema_editor):
    """Every row gets the settlement or order whose usage it is: an item's give-back (``S...#3``) belongs to its
    settlement, an online refund's rows to the refund's order, every other row is its own origin. Set-based,
    so the table is not held for long while the column is added."""
    usage = apps.get_model("payments", "BenefitUsage")._base_manager  # rows are append-only outside migrations
    refund = apps.get_model("payments", "OnlineRefund")
    usage.update(origin=F("reference"))
    usage.filter(reference__contains="#").update(
        origin=Substr("reference", 1, StrIndex("reference", Value("#")) - 1)
    )
    order_of_refund = refund.objects.filter(number=OuterRef("reference")).values("order__number")[:1]
    usage.filter(reference__in=refund.objects.values("number")).update(origin=Subquery(order_of_refund))


def repair_schemes(apps, schema_editor):
    """Online refunds before this release gave every fund part back to general outpatient, even for
    dual-channel orders: the outpatient figure went below what the order used (its cap lifted) while the
    dual-channel one stayed used. Move each such give-back to the scheme that used the money."""
    usage = apps.get_model("payments", "BenefitUsage")._base_manager
    fund_schemes = ("outpatient", "dual_channel")
    left: dict[str, dict[str, int]] = {}
    for row in usage.filter(scheme__in=fund_schemes).values("origin", "scheme").annotate(paid=Sum("paid_fen")):
        left.setdefault(row["origin"], {})[row["scheme"]] = row["paid"]
    for origin, schemes in left.items():
        short = -schemes.get("outpatient", 0)
        if short <= 0 or schemes.get("dual_channel", 0) <= 0:
            continue
        moved = min(short, schemes["dual_channel"])
        first = usage.filter(origin=origin, is_reversal=False).first()
        if first is None:
            continue
        for scheme, paid in (("outpatient", moved), ("dual_channel", -moved)):
            usage.create(
                person_id=first.person_id,
                year=first.year,
                scheme=scheme,
                deductible_fen=0,
                paid_fen=paid,
                origin=origin,
                reference=f"{origin}#scheme-repair",
                is_reversal=True,
                service_date=first.service_date,
            )


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
        migrations.RunPython(repair_schemes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="benefitusage",
            name="reference",
            field=models.CharField(help_text="This write: the origin, an item of it, or a refund.", max_length=100),
        ),
    ]
