"""What the Q&A pages show about regions, back links and the vote's outcome.

Every Q&A page says whose answers it shows (``selectors.region_choice``) and offers a chooser: a GET
form with ``?region=<code>`` (or ``all``), so it works without JavaScript and the address can be
shared; the choice is then remembered in a cookie for the other Q&A pages. Entry pages get a back link
to the list the visitor came from (``?back=``, a path under /qa/ only) and show the outcome of a vote
next to the vote, where the redirect after it (post/redirect/get) lands: ``#feedback-result``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme

from portal import divisions
from portal.errors import Bilingual, localized_message
from portal.institutions.models import Region
from portal.qa.selectors import REGION_COOKIE, RegionChoice, chooser_regions, region_choice, scope_of

YEAR = 365 * 24 * 3600
MAX_BACK_LENGTH = 500
FEEDBACK_COOKIE = "qa_feedback"
FEEDBACK_SALT = "portal.qa.feedback-outcome"
FEEDBACK_SECONDS = 300
FEEDBACK_RESULT_ID = "feedback-result"

# What a vote's redirect tells the entry page: whether it was counted, and what to say.
FEEDBACK_THANKS = "thanks"
FEEDBACK_CHOOSE = "choose"
FEEDBACK_OUTCOMES = {
    FEEDBACK_THANKS: Bilingual("谢谢您的反馈！", "Thank you for your feedback!"),
    FEEDBACK_CHOOSE: Bilingual("请选择“有帮助”或“没帮助”。", "Choose “helpful” or “not helpful”."),
}


def region_name(region: Region | None) -> str:
    """A region's name as pages show it (English pages: the national list's English name)."""
    return region.display_name if region is not None else Bilingual("所有地区", "every region").localized()


def region_context(request: HttpRequest, *, keep: dict[str, str] | None = None) -> dict[str, Any]:
    """What ``qa/region_bar.html`` needs. ``keep``: the query parameters the chooser carries along."""
    choice = region_choice(request)
    region = choice.region
    name = region_name(region)
    if region is None:
        label = Bilingual("所有地区", "Every region").localized()
    elif choice.is_own:
        label = Bilingual(f"{name}（您的参保地）", f"{name} (where you are insured)").localized()
    else:
        label = name
    notice = ""
    if choice.unknown:
        notice = Bilingual(
            f"没有地区代码为“{choice.unknown}”的地区，下面显示的是{name}的解答。",
            f"There is no region with the code “{choice.unknown}”; showing the answers for {name} instead.",
        ).localized()
    return {
        "region": region,
        "region_choice": choice,
        "region_label": label,
        "region_notice": notice,
        "chooser_regions": chooser_regions(choice),
        "region_keep": sorted((name, value) for name, value in (keep or {}).items() if value),
    }


def remember_region(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Keep a region chosen with ``?region=`` for the next Q&A pages (a year, like the other preferences)."""
    choice = region_choice(request)
    if choice.remember and request.COOKIES.get(REGION_COOKIE) != choice.remember:
        response.set_cookie(
            REGION_COOKIE,
            choice.remember,
            max_age=YEAR,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
        )
    return response


@dataclass(frozen=True)
class Applicability:
    """Where an entry applies, said for the reader's region."""

    scope: str  # selectors.scope_of
    text: str
    warn: bool  # the reader should not take it for their own region's rule
    local_term: str = ""  # what "本市" in the answer means, for an entry of one region


def applicability(*, regions: tuple[tuple[str, str], ...], choice: RegionChoice, answer_html: str) -> Applicability:
    scope = scope_of(regions, choice.region)
    names = divisions.join_names([name for _, name in regions])
    here = region_name(choice.region)
    local_term = ""
    if len(regions) == 1 and "本市" in answer_html:
        local_term = Bilingual(f"文中的“本市”指{names}。", f"“This city” in the answer means {names}.").localized()
    if scope == "general":
        return Applicability(
            scope,
            Bilingual("通用解答：适用于所有地区。", "General answer: applies in every region.").localized(),
            False,
        )
    if scope == "local":
        return Applicability(scope, Bilingual(f"适用于{here}。", f"Applies in {here}.").localized(), False, local_term)
    if scope == "other":
        return Applicability(
            scope,
            Bilingual(
                f"这是{names}的规定，不适用于{here}。", f"This is the rule of {names}; it does not apply in {here}."
            ).localized(),
            True,
            local_term,
        )
    return Applicability(
        scope,
        Bilingual(
            f"这是{names}的规定，其他地区可能不同。", f"This is the rule of {names}; other regions' rules may differ."
        ).localized(),
        True,
        local_term,
    )


def safe_back(value: str | None) -> str:
    """A back address to trust: a path under /qa/ of this site, nothing else."""
    value = (value or "").strip()
    if not value or len(value) > MAX_BACK_LENGTH or not value.startswith("/qa/") or "\\" in value:
        return ""
    if not url_has_allowed_host_and_scheme(value, allowed_hosts=None):
        return ""
    return value


def back_link(request: HttpRequest, *, topic_url: str | None, topic_name: str) -> dict[str, str]:
    """Where an entry's back link goes: the search results or topic the visitor came from, else the topic."""
    back = safe_back(request.GET.get("back"))
    if back.startswith("/qa/search/"):
        return {
            "back": back,
            "back_url": back,
            "back_label": Bilingual("返回搜索结果", "Back to the search results").localized(),
        }
    if back and back.split("?", 1)[0] != topic_url:
        return {"back": back, "back_url": back, "back_label": Bilingual("返回上一页", "Back").localized()}
    if topic_url:
        return {
            "back": back,
            "back_url": back or topic_url,
            "back_label": Bilingual(f"返回“{topic_name}”", f"Back to “{topic_name}”").localized(),
        }
    return {"back": "", "back_url": "/qa/", "back_label": Bilingual("返回问答首页", "Back to the Q&A home").localized()}


def with_back(url: str, back: str) -> str:
    return f"{url}?back={quote(back, safe='')}" if back else url


# --- The vote's outcome, carried over the redirect in a short-lived signed cookie ---------------------


def feedback_redirect(response: HttpResponse, *, entry_id: int, outcome: str) -> HttpResponse:
    response.set_signed_cookie(
        FEEDBACK_COOKIE,
        f"{entry_id}:{outcome}",
        salt=FEEDBACK_SALT,
        max_age=FEEDBACK_SECONDS,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )
    return response


def feedback_outcome(request: HttpRequest, *, entry_id: int) -> dict[str, Any] | None:
    """The outcome of a vote on this entry just made, once: ``{"ok": bool, "text": str}``, or None."""
    try:
        value = request.get_signed_cookie(FEEDBACK_COOKIE, salt=FEEDBACK_SALT, max_age=FEEDBACK_SECONDS)
    except (KeyError, signing.BadSignature):
        return None
    entry, _, outcome = str(value).partition(":")
    if entry != str(entry_id):
        return None
    request._qa_feedback_shown = True  # type: ignore[attr-defined]
    if outcome in FEEDBACK_OUTCOMES:
        return {"ok": outcome == FEEDBACK_THANKS, "text": FEEDBACK_OUTCOMES[outcome].localized()}
    try:
        text = localized_message(outcome)
    except KeyError:
        return None
    return {"ok": False, "text": text}


def forget_feedback(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Once shown, the outcome is not shown again on reload."""
    if getattr(request, "_qa_feedback_shown", False):
        response.delete_cookie(FEEDBACK_COOKIE, samesite="Lax")
    return response
