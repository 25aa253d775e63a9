from __future__ import annotations

from rest_framework import serializers


class SmsCodeRequestSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=20)
    challenge = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        help_text=(
            "After a 428 challenge_required: the solved proof-of-work (ALTCHA v1 payload, base64 JSON of "
            "algorithm, challenge, number, salt, signature) for the challenge in the error's details."
        ),
    )


class SmsCodeSentSerializer(serializers.Serializer):
    sent = serializers.BooleanField()
    expires_in = serializers.IntegerField(help_text="Seconds the code stays valid.")
    resend_after = serializers.IntegerField(help_text="Seconds before another code may be requested.")


class LoginSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=20)
    code = serializers.CharField(max_length=10)
    client = serializers.ChoiceField(
        choices=["web", "app"], default="web", help_text="web: a session cookie; app: a bearer token."
    )


class LoginResultSerializer(serializers.Serializer):
    client = serializers.CharField()
    token = serializers.CharField(required=False, help_text="Only for client=app; send as 'Authorization: Bearer'.")
    expires_at = serializers.DateTimeField(required=False)
