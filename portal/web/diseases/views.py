"""Residents' specified-disease page (门诊规定病种 / 慢特病): for me and the relatives whose code I hold, the
recognised diseases with the chosen institution and validity, applications under review, suspensions, and
the open prescriptions with their uses left. Read-only: applying and reinstatement go through the API
(portal/diseases/views.py) and the counter."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from payments.prescriptions.selectors import open_prescriptions
from portal.diseases.models import Recognition
from portal.diseases.selectors import recognitions_in_force, recognitions_of, suspensions_of
from portal.institutions.models import Institution
from portal.web.access import resident_required
from vouchers.family import relatives_held_by


@resident_required
def diseases(request: HttpRequest) -> HttpResponse:
    me = request.person  # type: ignore[attr-defined]
    today = timezone.localdate()
    people = [me, *relatives_held_by(holder=me)]
    ids = [p.pk for p in people]
    pending = [r for r in recognitions_of(person_ids=ids) if r.status == Recognition.Status.APPLIED]
    suspensions = [s for s in suspensions_of(person_ids=ids) if s.status == "active"]
    sections = []
    for person in people:
        recognised = recognitions_in_force(person_id=person.pk, on=today)
        places = Institution.objects.in_bulk([r.institution_id for r in recognised if r.institution_id])
        sections.append(
            {
                "person": person,
                "mine": person.pk == me.pk,
                "recognised": [(r, places.get(r.institution_id)) for r in recognised],
                "pending": [r for r in pending if r.person_id == person.pk],
                "suspensions": [s for s in suspensions if s.person_id == person.pk],
                "prescriptions": [(p, p.max_uses - p.uses) for p in open_prescriptions(person_id=person.pk, on=today)],
            }
        )
    return render(request, "web/diseases/list.html", {"me": me, "sections": sections})
