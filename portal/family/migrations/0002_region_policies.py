"""Family-sharing rules of the two shipped regions: one binds spouse, parents and children; the other
follows the wider national rule (also siblings, grandparents, grandchildren) and has staff review."""

from django.db import migrations

POLICIES = [
    ("340600", "淮北市", ["spouse", "parent", "child"], False),
    ("340500", "马鞍山市", ["spouse", "parent", "child", "sibling", "grandparent", "grandchild"], True),
]


def forwards(apps, schema_editor):
    Region = apps.get_model("institutions", "Region")
    FamilyPolicy = apps.get_model("family", "FamilyPolicy")
    for code, name, relations, review in POLICIES:
        region, _ = Region.objects.get_or_create(code=code, defaults={"name": name})
        FamilyPolicy.objects.get_or_create(
            region=region,
            defaults={
                "allowed_relations": relations,
                "max_bound": 7,
                "same_region_required": True,
                "initiator_types": ["employee", "retired"],
                "requires_staff_review": review,
                "consent_hours": 48,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("family", "0001_initial"), ("institutions", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
