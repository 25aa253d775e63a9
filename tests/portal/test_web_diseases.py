"""The residents' chronic-disease page: recognised diseases, the chosen institution, suspensions, and open
prescriptions with the uses left, for me and the relatives whose code I hold; nobody else's."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from portal.people.services import person_user
from tests import factories
from tests.payments.prescriptions import factories as rx
from tests.portal.diseases import factories as dz

pytestmark = pytest.mark.django_db


def _page(person, language="zh-hans") -> str:
    client = Client(headers={"accept-language": language})
    client.force_login(person_user(person=person))
    response = client.get("/diseases/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_resident_sees_their_disease_their_institution_and_the_uses_left() -> None:
    person = factories.person(name="王芳")
    hospital = dz.hospital()
    disease = dz.disease(code="M03900")
    dz.approved(person=person, of=disease, institution=hospital, valid_from=timezone.localdate())
    prescription = rx.prescription(person, institution=hospital, specified_disease=True)
    page = _page(person)
    assert disease.name_zh in page and hospital.name in page
    assert "剩余使用次数" in page and "<strong>3</strong> / 3" in page
    assert prescription.doctor_name in page
    english = _page(person, "en")
    assert disease.name_en in english and "Uses left" in english


def test_a_suspension_is_shown_with_what_still_works() -> None:
    person = factories.person()
    disease = dz.disease()
    recognition = dz.approved(person=person, of=disease, valid_from=timezone.localdate())
    dz.violation(recognition=recognition)
    assert "药店结算已暂停，仍可在定点机构就医结算" in _page(person)


def test_a_holder_sees_the_relative_and_an_outsider_sees_nothing_of_them() -> None:
    holder, relative, outsider = factories.person(), factories.person(name="李老伯"), factories.person()
    dz.holder_of(holder, relative)
    disease = dz.disease()
    dz.approved(person=relative, of=disease, valid_from=timezone.localdate())
    assert "李老伯" in _page(holder) and disease.name_zh in _page(holder)
    assert "李老伯" not in _page(outsider) and disease.name_zh not in _page(outsider)


def test_signed_out_visitors_are_sent_to_sign_in() -> None:
    response = Client().get("/diseases/")
    assert response.status_code == 302 and response.headers["location"].startswith("/signin")
