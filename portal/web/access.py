"""Who may open the residents' pages, and how a refusal reaches a form."""

from __future__ import annotations

from functools import wraps
from typing import Any
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme

from portal.errors import DomainError
from portal.people.selectors import person_for_user


def resident_required(view: Any) -> Any:
    """Signed-in residents only; others go to the sign-in page and come back. Sets ``request.person``."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        person = person_for_user(user=request.user)
        if person is None:
            # The whole path comes back after sign-in, its own query string included (encoded, or it would be cut).
            return HttpResponseRedirect(f"/signin?next={quote(request.get_full_path(), safe='/')}")
        request.person = person  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def safe_next(request: HttpRequest, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    return target if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) else default


def field_errors(error: DomainError, fields: dict[str, str], default: str = "form") -> dict[str, str]:
    """A domain refusal as ``{field: message}`` in the request's language, for the form to show.

    ``fields`` maps error codes to the form field they belong to; other codes go to ``default`` (the form as a whole).
    """
    return {fields.get(error.code, default): error.message()}
