"""The specified-disease lists of two regions, their group rules, and the first reinstatement commitment.

- 340500 马鞍山市 (DOMAIN.md "another city"): the patient chooses one designated institution for a disease,
  except five (malignant-tumour chemo/radiotherapy, uraemia dialysis, post-transplant anti-rejection
  therapy, tumour therapy before consolidation, tumour follow-up); a violation suspends pharmacy settlement
  for 1 year. The bulletin names those rules, not the list's figures: every number below is ASSUMED.
- 640000 宁夏回族自治区 (DOMAIN.md "one region"): 30 chronic diseases in 门诊大病 with a policy ratio of 60%
  or more, long prescriptions for hypertension and diabetes, 17 treatable and settled at internet
  hospitals. The bulletin gives those counts and the 60% floor; the thirty names are common chronic
  diseases chosen by us, which seventeen are internet-hospital diseases is our choice, and the deductible,
  the other rates and all caps are ASSUMED.

The region row for 640000 is created the way the other data migrations create theirs (get_or_create by
code); it has no institutions, persons or outpatient rule sets of its own.
"""

import datetime as dt

from django.db import migrations

MAANSHAN = ("340500", "马鞍山市")
NINGXIA = ("640000", "宁夏回族自治区")
START = dt.date(2024, 1, 1)

MAANSHAN_SOURCE = (
    "ASSUMED figures: DOMAIN.md (Ma'anshan bulletin) gives the choose-one-institution rule, its five exemptions "
    "and the 1-year pharmacy suspension, but no deductible, rates or caps for the list."
)
NINGXIA_SOURCE = (
    "DOMAIN.md (Ningxia bulletin): 30 chronic diseases in 门诊大病, policy ratio 60% or more (the resident rate "
    "below), 17 at internet hospitals. ASSUMED: the deductible, the employee and retiree rates, every cap, "
    "the thirty names and which seventeen are internet-hospital diseases."
)

# group code, name zh, name en, (deductible, employee, retiree, resident rate bp, employee, retiree, resident cap)
GROUPS = {
    "340500": [
        (
            "special",
            "特殊病种（恶性肿瘤、尿毒症、器官移植）",
            "Special diseases (cancer, uraemia, organ transplant)",
            (0, 8500, 9000, 7000, 200_000_00, 200_000_00, 100_000_00),
            MAANSHAN_SOURCE,
        ),
        (
            "chronic",
            "慢性病",
            "Chronic diseases",
            (300_00, 7500, 8000, 6000, 4_000_00, 5_000_00, 3_000_00),
            MAANSHAN_SOURCE,
        ),
    ],
    "640000": [
        (
            "chronic",
            "门诊大病（慢特病）",
            "Chronic and special outpatient diseases",
            (0, 7500, 8000, 6000, 8_000_00, 10_000_00, 5_000_00),
            NINGXIA_SOURCE,
        ),
    ],
}

# code, name zh, name en, group, choice exempt, internet hospital, long prescription
MAANSHAN_DISEASES = [
    ("tumour_chemo_radiotherapy", "恶性肿瘤放化疗", "Malignant tumour: chemotherapy and radiotherapy", "special",
     True, False, False),
    ("uraemia_dialysis", "尿毒症透析", "Uraemia: dialysis", "special", True, False, False),
    ("transplant_anti_rejection", "器官移植术后抗排异治疗", "Anti-rejection therapy after an organ transplant",
     "special", True, False, True),
    ("tumour_pre_consolidation", "恶性肿瘤巩固期前治疗", "Malignant tumour: therapy before consolidation",
     "special", True, False, False),
    ("tumour_follow_up", "恶性肿瘤随访", "Malignant tumour: follow-up", "special", True, False, False),
    ("hypertension", "高血压", "Hypertension", "chronic", False, True, True),
    ("diabetes", "糖尿病", "Diabetes", "chronic", False, True, True),
    ("coronary_heart_disease", "冠心病", "Coronary heart disease", "chronic", False, True, True),
    ("chronic_heart_failure", "慢性心力衰竭", "Chronic heart failure", "chronic", False, False, False),
    ("stroke_sequelae", "脑卒中后遗症", "Sequelae of stroke", "chronic", False, False, False),
    ("copd", "慢性阻塞性肺疾病", "Chronic obstructive pulmonary disease", "chronic", False, False, False),
    ("parkinsons_disease", "帕金森病", "Parkinson's disease", "chronic", False, False, False),
    ("rheumatoid_arthritis", "类风湿关节炎", "Rheumatoid arthritis", "chronic", False, False, False),
]

# code, name zh, name en, choice exempt, internet hospital, long prescription (all in the one group)
NINGXIA_DISEASES = [
    ("hypertension", "高血压", "Hypertension", False, True, True),
    ("diabetes", "糖尿病", "Diabetes", False, True, True),
    ("coronary_heart_disease", "冠心病", "Coronary heart disease", False, True, False),
    ("chronic_heart_failure", "慢性心力衰竭", "Chronic heart failure", False, True, False),
    ("stroke_sequelae", "脑血管病后遗症", "Sequelae of cerebrovascular disease", False, True, False),
    ("copd", "慢性阻塞性肺疾病", "Chronic obstructive pulmonary disease", False, True, False),
    ("asthma", "支气管哮喘", "Bronchial asthma", False, True, False),
    ("chronic_viral_hepatitis", "慢性病毒性肝炎", "Chronic viral hepatitis", False, True, False),
    ("liver_cirrhosis", "肝硬化", "Liver cirrhosis", False, True, False),
    ("rheumatoid_arthritis", "类风湿关节炎", "Rheumatoid arthritis", False, True, False),
    ("parkinsons_disease", "帕金森病", "Parkinson's disease", False, True, False),
    ("epilepsy", "癫痫", "Epilepsy", False, True, False),
    ("schizophrenia", "精神分裂症", "Schizophrenia", False, True, False),
    ("bipolar_disorder", "双相情感障碍", "Bipolar disorder", False, True, False),
    ("hyperthyroidism", "甲状腺功能亢进症", "Hyperthyroidism", False, True, False),
    ("hypothyroidism", "甲状腺功能减退症", "Hypothyroidism", False, True, False),
    ("chronic_kidney_disease", "慢性肾脏病", "Chronic kidney disease", False, True, False),
    ("systemic_lupus_erythematosus", "系统性红斑狼疮", "Systemic lupus erythematosus", False, False, False),
    ("uraemia_dialysis", "尿毒症透析", "Uraemia: dialysis", True, False, False),
    ("tumour_outpatient_treatment", "恶性肿瘤门诊治疗", "Malignant tumour: outpatient treatment", True, False, False),
    ("transplant_anti_rejection", "器官移植术后抗排异治疗", "Anti-rejection therapy after an organ transplant", True,
     False, False),
    ("aplastic_anaemia", "再生障碍性贫血", "Aplastic anaemia", False, False, False),
    ("haemophilia", "血友病", "Haemophilia", False, False, False),
    ("pulmonary_tuberculosis", "肺结核", "Pulmonary tuberculosis", False, False, False),
    ("ankylosing_spondylitis", "强直性脊柱炎", "Ankylosing spondylitis", False, False, False),
    ("psoriasis", "银屑病", "Psoriasis", False, False, False),
    ("myasthenia_gravis", "重症肌无力", "Myasthenia gravis", False, False, False),
    ("multiple_sclerosis", "多发性硬化", "Multiple sclerosis", False, False, False),
    ("alzheimers_disease", "阿尔茨海默病", "Alzheimer's disease", False, False, False),
    ("pulmonary_hypertension", "肺动脉高压", "Pulmonary arterial hypertension", False, False, False),
]

COMMITMENT_ZH = (
    "本人申请恢复门诊规定病种定点药店结算资格，并承诺：今后凭选定的定点医疗机构开具的规定病种处方购药，"
    "如实使用医保电子凭证，不伪造或使用虚假处方，不串换药品，不重复购买同一适应症药品，不重复使用处方，"
    "不将药品转卖他人。如再有违规，本人愿意退回违规费用，并接受暂停结算资格等处理。"
)
COMMITMENT_EN = (
    "I ask to settle my specified-disease drugs at designated pharmacies again, and I undertake: to buy them "
    "only with a specified-disease prescription from my chosen designated institution; to use my e-voucher "
    "truthfully; never to forge or use a false prescription, switch drugs, buy drugs of the same indication "
    "twice, use a prescription again, or sell drugs on. If I break these rules again, I will repay the fees "
    "and accept a new suspension."
)


def forwards(apps, schema_editor):
    Region = apps.get_model("institutions", "Region")
    DiseasePolicy = apps.get_model("diseases", "DiseasePolicy")
    DiseaseGroup = apps.get_model("diseases", "DiseaseGroup")
    DiseaseGroupRules = apps.get_model("diseases", "DiseaseGroupRules")
    Disease = apps.get_model("diseases", "Disease")
    ReinstatementCommitment = apps.get_model("diseases", "ReinstatementCommitment")

    regions = {}
    for code, name in (MAANSHAN, NINGXIA):
        regions[code], _ = Region.objects.get_or_create(code=code, defaults={"name": name})
        DiseasePolicy.objects.get_or_create(
            region=regions[code], defaults={"recognition_valid_months": 24, "suspension_months": 12}
        )
    groups = {}
    for region_code, specs in GROUPS.items():
        for code, name_zh, name_en, figures, source in specs:
            group, _ = DiseaseGroup.objects.get_or_create(
                region=regions[region_code], code=code, defaults={"name_zh": name_zh, "name_en": name_en}
            )
            groups[(region_code, code)] = group
            deductible, employee, retiree, resident, employee_cap, retiree_cap, resident_cap = figures
            DiseaseGroupRules.objects.get_or_create(
                group=group,
                effective_from=START,
                defaults={
                    "deductible_fen": deductible,
                    "employee_rate_bp": employee,
                    "retiree_rate_bp": retiree,
                    "resident_rate_bp": resident,
                    "employee_cap_fen": employee_cap,
                    "retiree_cap_fen": retiree_cap,
                    "resident_cap_fen": resident_cap,
                    "assumed": True,
                    "source": source,
                },
            )
    for code, name_zh, name_en, group, exempt, internet, long in MAANSHAN_DISEASES:
        Disease.objects.get_or_create(
            region=regions["340500"],
            code=code,
            defaults={
                "name_zh": name_zh, "name_en": name_en, "group": groups[("340500", group)],
                "choice_exempt": exempt, "internet_hospital": internet, "long_prescription": long,
            },
        )
    for code, name_zh, name_en, exempt, internet, long in NINGXIA_DISEASES:
        Disease.objects.get_or_create(
            region=regions["640000"],
            code=code,
            defaults={
                "name_zh": name_zh, "name_en": name_en, "group": groups[("640000", "chronic")],
                "choice_exempt": exempt, "internet_hospital": internet, "long_prescription": long,
            },
        )
    ReinstatementCommitment.objects.get_or_create(
        version="2026.1", defaults={"text_zh": COMMITMENT_ZH, "text_en": COMMITMENT_EN}
    )


def backwards(apps, schema_editor):
    Disease = apps.get_model("diseases", "Disease")
    DiseaseGroupRules = apps.get_model("diseases", "DiseaseGroupRules")
    DiseaseGroup = apps.get_model("diseases", "DiseaseGroup")
    DiseasePolicy = apps.get_model("diseases", "DiseasePolicy")
    codes = [MAANSHAN[0], NINGXIA[0]]
    Disease.objects.filter(region__code__in=codes, recognitions__isnull=True).delete()
    DiseaseGroupRules.objects.filter(group__region__code__in=codes, group__diseases__isnull=True).delete()
    DiseaseGroup.objects.filter(region__code__in=codes, diseases__isnull=True).delete()
    DiseasePolicy.objects.filter(region__code__in=codes).delete()


class Migration(migrations.Migration):
    dependencies = [("diseases", "0001_initial"), ("institutions", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
