"""Staff groups: operations (经办), auditors (稽核, read-only) and CMS editors."""

from django.db import migrations

GROUPS = {
    "operations": {
        "institutions": ["region", "institution", "terminal"],
        "people": ["person", "contribution", "household"],
    },
    "auditors": {},
    "cms_editors": {},
}
READ_ONLY = {
    "auditors": {
        "institutions": ["region", "institution", "terminal"],
        "people": ["person", "contribution", "household"],
        "ledger": ["ledgeraccount", "ledgertransaction", "ledgerentry"],
        "audit": ["auditevent"],
    },
    "operations": {
        "ledger": ["ledgeraccount", "ledgertransaction", "ledgerentry"],
        "audit": ["auditevent"],
    },
}


def forwards(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name in GROUPS:
        group, _ = Group.objects.get_or_create(name=name)
        codenames = []
        for app_label, models in GROUPS[name].items():
            for model in models:
                codenames += [(app_label, f"{action}_{model}") for action in ("view", "add", "change")]
        for app_label, models in READ_ONLY.get(name, {}).items():
            codenames += [(app_label, f"view_{model}") for model in models]
        for app_label, codename in codenames:
            perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if perm is not None:
                group.permissions.add(perm)


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0001_initial"),
        ("institutions", "0001_initial"),
        ("ledger", "0003_append_only_triggers"),
        ("audit", "0003_append_only_trigger"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
