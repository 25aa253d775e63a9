"""Answers of the family-sharing API (the views build their bodies through these, so the OpenAPI document is
what the API answers)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from portal.family.models import FamilyBinding, FamilyPolicy, Relation
from portal.money import MoneySerializer, money
from portal.people.models import Person


class BindingPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    id_number_masked = serializers.CharField()


class BindingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    # Plain strings where the values are another field's (a second enum name for them warns in the document).
    role = serializers.CharField(
        help_text="My side: `initiator` (I bound the other person) or `bound` (they bound me)."
    )
    person = BindingPersonSerializer(help_text="The other person of the binding.")
    relation = serializers.ChoiceField(choices=Relation.choices)
    relation_label = serializers.CharField()
    status = serializers.ChoiceField(choices=FamilyBinding.Status.choices)
    created_at = serializers.DateTimeField()
    consent_expires_at = serializers.DateTimeField()
    activated_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    ended_by = serializers.CharField(allow_blank=True, help_text="initiator, bound, staff or system; empty while live.")
    spent_from_my_account = MoneySerializer(
        required=False,
        help_text="In the list, on my bindings as initiator only: what the relative has spent from my account "
        "(payments less refunds).",
    )


def binding_body(binding: FamilyBinding, me: Person, spent: dict[int, int] | None = None) -> dict[str, Any]:
    """One binding as ``me`` sees it; ``spent`` (by bound person) adds what they spent from my account."""
    as_initiator = binding.initiator_id == me.pk
    other = binding.bound if as_initiator else binding.initiator
    body: dict[str, Any] = {
        "id": binding.pk,
        "role": "initiator" if as_initiator else "bound",
        "person": {"id": other.pk, "name": other.name, "id_number_masked": other.id_number_masked},
        "relation": binding.relation,
        "relation_label": binding.get_relation_display(),
        "status": binding.status,
        "created_at": binding.created_at,
        "consent_expires_at": binding.consent_expires_at,
        "activated_at": binding.activated_at,
        "ended_at": binding.ended_at,
        "ended_by": binding.ended_by,
    }
    if as_initiator and spent is not None:
        body["spent_from_my_account"] = money(spent.get(binding.bound_id, 0))
    return body


class BindingPolicySerializer(serializers.Serializer):
    allowed_relations = serializers.ListField(
        child=serializers.CharField(), help_text="Values of a binding's `relation` that may be bound here."
    )
    max_bound = serializers.IntegerField()
    requires_staff_review = serializers.BooleanField()
    consent_hours = serializers.IntegerField(help_text="How long the relative has to consent.")


def policy_body(policy: FamilyPolicy | None) -> dict[str, Any] | None:
    if policy is None:
        return None
    return {
        "allowed_relations": policy.allowed_relations,
        "max_bound": policy.max_bound,
        "requires_staff_review": policy.requires_staff_review,
        "consent_hours": policy.consent_hours,
    }


class BindingsSerializer(serializers.Serializer):
    as_initiator = BindingSerializer(many=True, help_text="Relatives I bound (newest first, ended ones too).")
    as_bound = BindingSerializer(many=True, help_text="People who bound me (newest first, ended ones too).")
    policy = BindingPolicySerializer(allow_null=True, help_text="My region's rules; null: not offered here.")
