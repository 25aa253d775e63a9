"""A believable demo city, built deterministically (the same data every run) and idempotently."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.test import override_settings

from portal.identity import make_id_number
from portal.institutions.models import Institution, Region, Terminal
from portal.institutions.services import terminal_create
from portal.ledger.models import LedgerAccount
from portal.ledger.services import institution_account, personal_account_allocate, region_account
from portal.people.models import Contribution, Household, Person, User
from portal.people.selectors import person_by_id_number
from portal.people.services import person_create

REGIONS = [("340600", "淮北市"), ("340500", "马鞍山市")]

# (code, name, kind, level, primary, region)
INSTITUTIONS = [
    ("H34060200001", "淮北市人民医院", "hospital", "3", False, "340600"),
    ("H34060200002", "淮北矿工总医院", "hospital", "3", False, "340600"),
    ("H34060300003", "相山区人民医院", "hospital", "2", False, "340600"),
    ("H34060400004", "杜集区中医院", "hospital", "2", False, "340600"),
    ("H34060200005", "相山区东街社区卫生服务中心", "hospital", "1", True, "340600"),
    ("H34062100006", "濉溪县百善镇卫生院", "hospital", "1", True, "340600"),
    ("H34062100007", "濉溪县临涣镇卫生院", "hospital", "1", True, "340600"),
    ("H34062100008", "濉溪县刘桥村卫生室", "hospital", "unrated", True, "340600"),
    ("H34060200009", "淮北惠民诊所", "hospital", "unrated", False, "340600"),
    ("P34060200010", "淮北医药连锁人民路店", "pharmacy", "unrated", False, "340600"),
    ("P34060200011", "百姓大药房淮海路店", "pharmacy", "unrated", False, "340600"),
    ("P34060300012", "国药控股相山店", "pharmacy", "unrated", False, "340600"),
    ("P34062100013", "濉溪康泰药房", "pharmacy", "unrated", False, "340600"),
    ("P34060400014", "杜集益民药房", "pharmacy", "unrated", False, "340600"),
    ("I34060200015", "淮北市人民医院互联网医院", "internet_hospital", "3", False, "340600"),
    ("I34060200016", "淮北健康云互联网医院", "internet_hospital", "unrated", False, "340600"),
    ("H34050400017", "马鞍山市人民医院", "hospital", "3", False, "340500"),
    ("H34050400018", "花山区霍里街道社区卫生服务中心", "hospital", "1", True, "340500"),
    ("P34050400019", "马鞍山益丰大药房", "pharmacy", "unrated", False, "340500"),
    ("I34050400020", "马鞍山市人民医院互联网医院", "internet_hospital", "3", False, "340500"),
]

DIVISIONS = {"340600": ["340602", "340603", "340604", "340621"], "340500": ["340503", "340504", "340506"]}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英霞平刚桂兰建华玉梅志强国庆红梅淑珍德华婷子涵浩然欣怡宇轩"
DEMO_STAFF = [
    ("admin", "管理员", None, True),
    ("operator", "经办员", "operations", False),
    ("auditor", "稽核员", "auditors", False),
    ("editor", "政策编辑", "cms_editors", False),
    ("reviewer", "政策审核", "cms_reviewers", False),
]
DEMO_ANALYST = ("analyst", "数据分析员")  # every staff dashboard (/admin/dashboards/), nothing else
DEMO_STAFF_PASSWORD = "demo-password-2026"  # embedded mode only


def demo_terminal_secret(code: str) -> str:
    """Deterministic per deployment (derived from SECRET_KEY), so the demo can print it again."""
    return hmac.new(settings.SECRET_KEY.encode(), f"demo-terminal:{code}".encode(), hashlib.sha256).hexdigest()[:32]


@dataclass
class DemoSummary:
    regions: int = 0
    institutions: int = 0
    persons: int = 0
    households: int = 0
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (who, phone, description)
    terminals: list[tuple[str, str, str]] = field(default_factory=list)  # (institution, key id, secret)
    staff: list[tuple[str, str]] = field(default_factory=list)
    vouchers: int = 0
    holdings: int = 0
    bindings: int = 0
    qa_entries: int = 0


def _name(rng: random.Random, surname: str | None = None) -> str:
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    return (surname or rng.choice(SURNAMES)) + given


def _birth(rng: random.Random, low_age: int, high_age: int, today: dt.date) -> dt.date:
    age_days = rng.randint(low_age * 365, high_age * 365)
    return today - dt.timedelta(days=age_days)


def _demo_vouchers(progress: Callable[[str], None]) -> tuple[int, int]:
    """About three in four residents with a phone activate; the household head shows the codes of
    relatives who have no phone (children, elders), registered at the counter."""
    from vouchers.family import holding_register_by_staff
    from vouchers.models import FamilyHolding, Voucher
    from vouchers.services import live_voucher, voucher_issue

    channels = [Voucher.Channel.APP, Voucher.Channel.WECHAT, Voucher.Channel.ALIPAY, Voucher.Channel.WECHAT]
    with transaction.atomic():
        for person in Person.objects.exclude(phone="").order_by("id"):
            if person.pk % 4 != 3 and live_voucher(person=person) is None:
                voucher_issue(person=person, channel=channels[person.pk % len(channels)])
        for household in Household.objects.prefetch_related("members").order_by("id"):
            members = sorted(household.members.all(), key=lambda p: p.pk)
            holder = next((m for m in members if m.phone and live_voucher(person=m)), None)
            if holder is None:
                continue
            for relative in members:
                if relative.phone or relative.pk == holder.pk:
                    continue
                holding, _ = FamilyHolding.objects.get_or_create(
                    holder=holder, relative=relative, defaults={"status": FamilyHolding.Status.PENDING}
                )
                if holding.status == FamilyHolding.Status.PENDING:
                    holding_register_by_staff(holding_id=holding.pk)
    vouchers = Voucher.objects.filter(status=Voucher.Status.ACTIVE).count()
    holdings = FamilyHolding.objects.filter(status=FamilyHolding.Status.ACTIVE).count()
    progress(f"  e-vouchers active: {vouchers}, family holdings: {holdings}")
    return vouchers, holdings


def _demo_proof() -> bytes:
    """A small real PNG that stands for a scanned household register page."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (245, 240, 230)).save(out, format="PNG")
    return out.getvalue()


def _demo_family_bindings(progress: Callable[[str], None]) -> int:
    """Employee household heads bind their spouse, children and parents (家庭共济), through the services."""
    from portal.family.models import FamilyBinding
    from portal.signin.sms import LocmemSmsBackend

    with override_settings(SMS_BACKEND="portal.signin.sms.LocmemSmsBackend"):  # relatives consent in person
        _bind_households()
    LocmemSmsBackend.outbox.clear()
    count = FamilyBinding.objects.filter(status=FamilyBinding.Status.ACTIVE).count()
    progress(f"  family-sharing bindings active: {count}")
    return count


def _bind_households() -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from portal.family.models import FamilyBinding
    from portal.family.services import binding_consent_in_app, binding_request, binding_review
    from portal.people.services import person_id_number

    for household in Household.objects.prefetch_related("members").order_by("id"):
        members = sorted(household.members.all(), key=lambda p: p.pk)
        head = members[0]
        if not head.is_employee:
            continue
        for relative in members[1:]:
            if FamilyBinding.objects.filter(initiator=head, bound=relative).exists():
                continue
            years = (head.birth_date - relative.birth_date).days / 365.25
            relation = "parent" if years > 18 else "child" if years < -16 else "spouse"
            binding = binding_request(
                initiator=head,
                name=relative.name,
                id_number=person_id_number(relative),
                relation=relation,
                proof=SimpleUploadedFile("hukou.png", _demo_proof(), content_type="image/png"),
            )
            if binding.status == FamilyBinding.Status.AWAITING_CONSENT:
                binding = binding_consent_in_app(binding_id=binding.pk, bound=relative)
            if binding.status == FamilyBinding.Status.AWAITING_REVIEW:
                binding_review(binding_id=binding.pk, approve=True, note="demo")


def _demo_bills(progress: Callable[[str], None]) -> Person | None:
    """Two bills from the demo internet hospital waiting for an employee in 340600 (idempotent)."""
    from payments.online.pay import order_upload
    from vouchers.models import Voucher

    terminal = Terminal.objects.filter(key_id="DEMO-I34060200015").first()
    patient = (
        Person.objects.filter(
            region__code="340600", insurance_type=Person.InsuranceType.EMPLOYEE, vouchers__status=Voucher.Status.ACTIVE
        )
        .exclude(phone="")
        .order_by("id")
        .first()
    )
    if terminal is None or patient is None:
        return None
    today = dt.date.today().isoformat()
    bills = [
        ("复诊 · 高血压处方", [("D001", "苯磺酸氨氯地平片 ×3盒", 8_850), ("S001", "互联网复诊费", 1_000)]),
        ("在线问诊 · 皮肤科", [("S002", "图文问诊费", 3_000), ("D002", "炉甘石洗剂（目录外）", 2_600)]),
    ]
    for n, (description, items) in enumerate(bills, start=1):
        order_upload(
            terminal=terminal,
            person=patient,
            idempotency_key=f"demo-bill-{patient.pk}-{n}-{today}",
            items=[
                {"code": code, "name": name, "amount_fen": fen, "in_catalogue": "目录外" not in name}
                for code, name, fen in items
            ],
            description=description,
            diagnosis="",
            department="",
            doctor="",
        )
    progress(f"  internet-hospital bills waiting for {patient.name} ({patient.phone})")
    return patient


def build_demo(*, households: int = 60, progress: Callable[[str], None] = print) -> DemoSummary:
    summary = DemoSummary()
    rng = random.Random(20261122)
    today = dt.date(2026, 11, 1)  # fixed, so identity numbers are the same every run

    with transaction.atomic():
        regions = {}
        for code, name in REGIONS:
            regions[code], _ = Region.objects.get_or_create(code=code, defaults={"name": name})
            for account_kind in (
                LedgerAccount.Kind.FUND,
                LedgerAccount.Kind.ALLOCATION,
                LedgerAccount.Kind.CASH_CLEARING,
            ):
                region_account(region=regions[code], kind=account_kind)
        summary.regions = len(regions)
        for code, name, kind, level, primary, region_code in INSTITUTIONS:
            institution, _ = Institution.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "kind": kind,
                    "level": level,
                    "is_primary_level": primary,
                    "region": regions[region_code],
                },
            )
            institution_account(institution=institution)
            key_id = f"DEMO-{code}"
            secret = demo_terminal_secret(code)
            if not Terminal.objects.filter(key_id=key_id).exists():
                terminal_kind: str = Terminal.Kind.SYSTEM if kind == "internet_hospital" else Terminal.Kind.SCANNER
                terminal_create(
                    institution=institution, name=f"{name} 1号终端", kind=terminal_kind, key_id=key_id, secret=secret
                )
            summary.terminals.append((f"{name} ({code})", key_id, secret))
        summary.institutions = len(INSTITUTIONS)
    progress(f"  regions: {summary.regions}, institutions and terminals: {summary.institutions}")

    phone_counter = 0
    sequence = 0

    def add_person(
        *,
        name: str,
        region: str,
        birth: dt.date,
        insurance_type: str,
        household: Household,
        assistance: str = Person.AssistanceGroup.NONE,
        with_phone: bool = True,
    ) -> Person:
        nonlocal phone_counter, sequence
        sequence += 1
        division = DIVISIONS[region][sequence % len(DIVISIONS[region])]
        id_number = make_id_number(division_code=division, birth_date=birth, sequence=100 + sequence % 900)
        phone = ""
        if with_phone:
            phone_counter += 1
            phone = f"139{phone_counter:08d}"
        existing = person_by_id_number(id_number=id_number)
        if existing is not None:
            return existing
        person = person_create(
            name=name,
            id_number=id_number,
            region_code=region,
            insurance_type=insurance_type,
            phone=phone,
            assistance_group=assistance,
            household=household,
        )
        own = random.Random(sequence)  # per-person draws, so a re-run follows the same sequence
        for year in (today.year - 1, today.year):
            paid = not (insurance_type == Person.InsuranceType.RESIDENT and own.random() < 0.04 and year == today.year)
            Contribution.objects.get_or_create(person=person, year=year, defaults={"paid": paid})
        if person.is_employee:
            personal_account_allocate(
                person=person,
                amount_fen=own.randint(300, 6000) * 100 + own.randint(0, 99),
                reference=f"demo-{today.year}",
                idempotency_key=f"demo-allocation-{person.pk}",
            )
        return person

    assistance_cycle = [
        Person.AssistanceGroup.EXTREMELY_POOR,
        Person.AssistanceGroup.MINIMUM_ALLOWANCE,
        Person.AssistanceGroup.FELL_BACK,
        Person.AssistanceGroup.MONITORED,
    ]
    for index in range(households):
        region = "340600" if index % 6 else "340500"
        surname = SURNAMES[index % len(SURNAMES)]
        with transaction.atomic():
            household, _ = Household.objects.get_or_create(
                name=f"{surname}家（{index + 1:03d}）", defaults={"region": regions[region]}
            )
            # The head: in service, retired, or a resident.
            head_type = [
                Person.InsuranceType.EMPLOYEE,
                Person.InsuranceType.EMPLOYEE,
                Person.InsuranceType.RETIRED,
                Person.InsuranceType.RESIDENT,
            ][index % 4]
            head_age = (60, 80) if head_type == Person.InsuranceType.RETIRED else (28, 55)
            # Resident heads cycle through the four assistance groups, then two households without.
            slot = (index // 4) % 6
            assistance = (
                assistance_cycle[slot]
                if head_type == Person.InsuranceType.RESIDENT and slot < 4
                else Person.AssistanceGroup.NONE
            )
            head = add_person(
                name=_name(rng, surname),
                region=region,
                birth=_birth(rng, *head_age, today),
                insurance_type=head_type,
                household=household,
                assistance=assistance,
            )
            members = [head]
            if rng.random() < 0.85:  # spouse
                spouse_type = rng.choice([Person.InsuranceType.EMPLOYEE, Person.InsuranceType.RESIDENT])
                if head_type == Person.InsuranceType.RETIRED:
                    spouse_type = Person.InsuranceType.RETIRED
                members.append(
                    add_person(
                        name=_name(rng),
                        region=region,
                        birth=_birth(rng, *head_age, today),
                        insurance_type=spouse_type,
                        household=household,
                    )
                )
            for _ in range(rng.choice((0, 1, 1, 2))):  # children: residents, no phone when young
                if head_type == Person.InsuranceType.RETIRED:
                    child_type = Person.InsuranceType.EMPLOYEE
                    birth, phone = _birth(rng, 30, 45, today), True
                else:
                    child_type = Person.InsuranceType.RESIDENT
                    birth, phone = _birth(rng, 1, 16, today), False
                members.append(
                    add_person(
                        name=_name(rng, surname),
                        region=region,
                        birth=birth,
                        insurance_type=child_type,
                        household=household,
                        with_phone=phone,
                    )
                )
            if head_type != Person.InsuranceType.RETIRED and rng.random() < 0.5:  # an elderly parent, no phone
                members.append(
                    add_person(
                        name=_name(rng, surname),
                        region=region,
                        birth=_birth(rng, 75, 92, today),
                        insurance_type=Person.InsuranceType.RESIDENT,
                        household=household,
                        with_phone=False,
                    )
                )
        summary.households += 1
        if (index + 1) % 10 == 0:
            progress(f"  households: {index + 1}/{households}")
    summary.persons = Person.objects.count()
    summary.vouchers, summary.holdings = _demo_vouchers(progress)
    summary.bindings = _demo_family_bindings(progress)
    bill_for = _demo_bills(progress)
    if bill_for is not None:
        summary.logins.append(
            (bill_for.name, bill_for.phone, "has internet-hospital bills to pay / 有待支付的互联网医院账单")
        )

    for insurance_type, label in Person.InsuranceType.choices:
        for assistance in [Person.AssistanceGroup.NONE] + (assistance_cycle if insurance_type == "resident" else []):
            sample = (
                Person.objects.filter(insurance_type=insurance_type, assistance_group=assistance)
                .exclude(phone="")
                .order_by("id")
                .first()
            )
            if sample is not None:
                group = (
                    "" if assistance == Person.AssistanceGroup.NONE else f", {sample.get_assistance_group_display()}"
                )
                summary.logins.append((sample.name, sample.phone, f"{label}{group}"))

    from vouchers.models import Voucher

    waiting = Person.objects.exclude(phone="").exclude(vouchers__status=Voucher.Status.ACTIVE).order_by("id").first()
    if waiting is not None:
        summary.logins.append((waiting.name, waiting.phone, "e-voucher not activated yet / 尚未激活电子凭证"))

    from portal.qa.services import load_demo_content

    summary.qa_entries = load_demo_content(progress=progress)  # also creates the CMS groups

    if settings.EMBEDDED:
        for username, name, group_name, superuser in DEMO_STAFF:
            user, created = User.objects.get_or_create(
                username=username, defaults={"first_name": name, "is_staff": True, "is_superuser": superuser}
            )
            if created:
                user.set_password(DEMO_STAFF_PASSWORD)
                user.save()
            if group_name:
                user.groups.add(Group.objects.get(name=group_name))
            summary.staff.append((username, group_name or "superuser"))
        analyst, created = User.objects.get_or_create(
            username=DEMO_ANALYST[0], defaults={"first_name": DEMO_ANALYST[1], "is_staff": True}
        )
        if created:
            analyst.set_password(DEMO_STAFF_PASSWORD)
            analyst.save()
        analyst.groups.add(*Group.objects.filter(name__startswith="dashboards: "))
        summary.staff.append((analyst.username, "dashboards: *"))

    from portal.diseases.demo import build_disease_demo

    summary.logins.extend(build_disease_demo(progress=progress))

    from portal.demo.activity import build_activity

    build_activity(progress=progress)
    return summary
