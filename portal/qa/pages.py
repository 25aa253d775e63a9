"""Server-rendered Q&A pages besides the ones Wagtail serves (home, topics, entries): search and feedback."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_POST

from portal.errors import Bilingual, DomainError
from portal.qa import selectors, services
from portal.qa.models import EntryPage
from portal.qa.views import client_key


def search_page(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    region = selectors.region_for_request(request)
    result = services.search_and_log(query=query, region=region) if query.strip() else None
    return render(request, "qa/search.html", {"query": query, "result": result, "region": region})


@require_POST
def feedback_form(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = EntryPage.objects.live().filter(pk=entry_id).first()
    back = entry.url if entry is not None and entry.url else "/qa/"
    helpful = request.POST.get("helpful")
    if helpful not in ("yes", "no"):
        messages.error(
            request, Bilingual("请选择“有帮助”或“没帮助”。", "Choose “helpful” or “not helpful”.").localized()
        )
        return HttpResponseRedirect(back)
    try:
        services.feedback_submit(
            entry_id=entry_id,
            helpful=helpful == "yes",
            comment=request.POST.get("comment", ""),
            client_key=client_key(request),
        )
    except DomainError as error:
        messages.error(request, error.message())
    else:
        messages.success(request, Bilingual("谢谢您的反馈！", "Thank you for your feedback!").localized())
    return HttpResponseRedirect(f"{back}#feedback")
