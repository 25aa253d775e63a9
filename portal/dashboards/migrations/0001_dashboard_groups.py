"""The staff groups that open the dashboards, one per area (portal/dashboards/registry.py names them).
Membership is all they grant: the pages check it, no model permission is involved."""

from django.db import migrations

GROUPS = [
    "dashboards: vouchers",
    "dashboards: settlements",
    "dashboards: online orders",
    "dashboards: family sharing",
    "dashboards: off-site filings",
    "dashboards: policy Q&A",
]


def forwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in GROUPS:
        Group.objects.get_or_create(name=name)


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(forwards, backwards)]
