"""Filing categories of the two shipped regions and the first commitment wording (our own words)."""

from django.db import migrations

ALL = ["employee", "retired", "resident"]
CATEGORIES = [
    # code, who, commitment allowed, validity days (None: until cancelled), outpatient pooling there,
    # back-dating days for an admission not yet settled, days before a change or cancellation
    ("relocated_retiree", ["retired"], True, None, True, 0, 180),
    ("long_term_resident", ALL, True, None, True, 0, 180),
    ("stationed_worker", ["employee"], True, None, True, 0, 180),
    ("referral", ALL, False, 180, False, 30, 0),
    ("temporary_trip", ALL, True, 180, False, 30, 0),
]
REGIONS = [("340600", "淮北市"), ("340500", "马鞍山市")]

COMMITMENT_ZH = (
    "本人承诺：所填写的异地居住、工作或就医情况真实、准确。本人知悉医保部门将对备案信息进行抽查核实；"
    "如承诺不实，备案将被撤销，已按备案享受的医保待遇将被追回，并依法记录失信行为。"
)
COMMITMENT_EN = (
    "I declare that what I have stated about living, working or seeking care elsewhere is true and accurate. "
    "I understand that the bureau checks a sample of filings; if this declaration is false, the filing is "
    "revoked, benefits received under it are recovered, and the false declaration is recorded."
)


def forwards(apps, schema_editor):
    Region = apps.get_model("institutions", "Region")
    FilingCategory = apps.get_model("offsite", "FilingCategory")
    CommitmentText = apps.get_model("offsite", "CommitmentText")
    for code, name in REGIONS:
        region, _ = Region.objects.get_or_create(code=code, defaults={"name": name})
        for category, who, commitment, validity, pooling, backdate, wait in CATEGORIES:
            FilingCategory.objects.get_or_create(
                region=region, code=category,
                defaults={
                    "eligible_insurance_types": who, "commitment_allowed": commitment, "validity_days": validity,
                    "outpatient_pooling": pooling, "backdate_days": backdate, "min_days_before_change": wait,
                },
            )
    CommitmentText.objects.get_or_create(version="2026.1", defaults={"text_zh": COMMITMENT_ZH, "text_en": COMMITMENT_EN})


class Migration(migrations.Migration):
    dependencies = [("offsite", "0001_initial"), ("institutions", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
