"""Who may call what."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from portal.errors import DomainError, define
from portal.institutions.models import Terminal
from portal.people.models import Person, User
from portal.people.selectors import person_for_user

NOT_A_RESIDENT = define(
    "not_a_resident", 403, "仅参保人本人可使用此功能", "Only a signed-in insured resident can do this"
)
NOT_A_TERMINAL = define(
    "not_a_terminal", 403, "仅定点机构终端可调用此接口", "Only a designated institution's terminal can call this"
)
INSTITUTION_MISMATCH = define(
    "institution_mismatch", 403, "终端只能代表其所属机构办理业务", "A terminal can act only for its own institution"
)


def request_terminal(request: Request) -> Terminal | None:
    return request.auth if isinstance(request.auth, Terminal) else None


def request_person(request: Request) -> Person | None:
    """The signed-in resident's Person (with region), loaded once per request."""
    if not hasattr(request, "_resident_person"):
        request._resident_person = person_for_user(user=request.user)  # type: ignore[attr-defined]
    return request._resident_person  # type: ignore[attr-defined]


class IsResident(BasePermission):
    error_codes = (NOT_A_RESIDENT,)  # documented on every operation that uses it (portal.openapi)

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if isinstance(user, User) and request_person(request) is not None:
            return True
        if user is None or not getattr(user, "is_authenticated", False):
            return False  # DRF answers 401 not_authenticated
        raise DomainError(NOT_A_RESIDENT)


class IsTerminal(BasePermission):
    error_codes = (NOT_A_TERMINAL,)

    def has_permission(self, request: Request, view: Any) -> bool:
        if request_terminal(request) is not None:
            return True
        if request.user is None or not getattr(request.user, "is_authenticated", False):
            return False
        raise DomainError(NOT_A_TERMINAL)


class IsStaff(BasePermission):
    """Bureau staff signed in to the admin. Safe for any caller: a terminal or an anonymous visitor is
    simply not staff (DRF's IsAdminUser reads ``is_staff``, which a terminal lacks)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return isinstance(user, User) and user.is_active and user.is_staff


def require_own_institution(request: Request, institution_id: int) -> Terminal:
    terminal = request_terminal(request)
    if terminal is None:
        raise DomainError(NOT_A_TERMINAL)
    if terminal.institution_id != institution_id:
        raise DomainError(INSTITUTION_MISMATCH)
    return terminal
