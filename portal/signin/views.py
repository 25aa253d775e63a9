"""Resident sign-in endpoints."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login, logout
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from portal.clientip import client_ip
from portal.errors import CSRF_FAILED
from portal.openapi import errors
from portal.signin import serializers as s
from portal.signin.challenge import CHALLENGE_INVALID, CHALLENGE_REQUIRED
from portal.signin.models import ResidentToken
from portal.signin.permissions import IsResident
from portal.signin.services import (
    SMS_CHECKING,
    SMS_SENDING,
    otp_request,
    otp_verify,
    token_issue,
    token_revoke,
)


class ByClientAddress:
    """Throttle by the trusted client address (portal.clientip), never by a header the client writes."""

    def get_ident(self, request: Request) -> str:
        return client_ip(request)


class OtpRequestThrottle(ByClientAddress, AnonRateThrottle):
    scope = "otp_request"


class OtpVerifyThrottle(ByClientAddress, AnonRateThrottle):
    scope = "otp_verify"


class SmsCodeView(APIView):
    """Send a one-time sign-in code by SMS (the same answer whether or not the phone is registered)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [OtpRequestThrottle]

    @extend_schema(
        request=s.SmsCodeRequestSerializer,
        responses={202: s.SmsCodeSentSerializer},
        extensions=errors(
            *SMS_SENDING,
            CHALLENGE_REQUIRED,
            CHALLENGE_INVALID,
        ),
        tags=["sign-in"],
    )
    def post(self, request: Request) -> Response:
        data = s.SmsCodeRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        otp_request(
            phone=data.validated_data["phone"],
            client_ip=client_ip(request),
            challenge=data.validated_data.get("challenge") or None,
        )
        body = {"sent": True, "expires_in": settings.OTP_TTL_SECONDS, "resend_after": settings.OTP_RESEND_SECONDS}
        return Response(body, status=status.HTTP_202_ACCEPTED)


class LoginView(APIView):
    """Sign in with phone + code: a session cookie for the web, or a bearer token for the app."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [OtpVerifyThrottle]

    @extend_schema(
        request=s.LoginSerializer,
        responses={200: s.LoginResultSerializer},
        extensions=errors(*SMS_CHECKING, CSRF_FAILED),
        tags=["sign-in"],
        description="`csrf_failed` (403): `client=web` without the page's CSRF token.",
    )
    def post(self, request: Request) -> Response:
        data = s.LoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data["client"] == "web":
            # A session cookie is what a cross-site form could plant (login CSRF): the web page's token
            # must come with it, as for every other session request.
            CsrfEnforcer().enforce(request)
        person = otp_verify(phone=data.validated_data["phone"], code=data.validated_data["code"])
        assert person.user is not None
        if data.validated_data["client"] == "app":
            raw, token = token_issue(user=person.user)
            return Response({"client": "app", "token": raw, "expires_at": token.expires_at})
        login(request._request, person.user, backend="django.contrib.auth.backends.ModelBackend")
        return Response({"client": "web"})


class CsrfEnforcer(SessionAuthentication):
    def enforce(self, request: Request) -> None:
        self.enforce_csrf(request)


class LogoutView(APIView):
    permission_classes = [IsResident]

    @extend_schema(request=None, responses={204: None}, tags=["sign-in"])
    def post(self, request: Request) -> Response:
        if isinstance(request.auth, ResidentToken):
            token_revoke(token_id=request.auth.pk)
        else:
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)
