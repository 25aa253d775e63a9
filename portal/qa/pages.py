"""Server-rendered Q&A pages besides the ones Wagtail serves (home, topics, entries): search and feedback."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_POST

from portal.errors import Bilingual, DomainError
from portal.qa import region_pages, services
from portal.qa.models import EntryPage
from portal.qa.views import client_key


def search_page(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    context = region_pages.region_context(request, keep={"q": query} if query else {})
    region = context["region"]
    result = services.regional_search_and_log(query=query, region=region) if query.strip() else None
    context.update({"query": query, "result": result, "here": request.get_full_path()})
    if result is not None:
        name = region_pages.region_name(region)
        if region is None:
            context["hits_title"] = Bilingual("所有地区的解答", "Answers from every region").localized()
        elif result.answered:
            context["hits_title"] = Bilingual(f"{name}的解答", f"Answers for {name}").localized()
        else:
            context["hits_title"] = Bilingual("通用解答", "General answers").localized()
            context["no_answer_text"] = Bilingual(
                f"{name}还没有专门解答这个问题。下面的解答仅供参考，具体以{name}医保部门的规定为准，"
                "也可拨打医保服务热线 12393。",
                f"{name} has no answer of its own to this question. The answers below are for reference only: "
                f"the rules of {name}'s medical insurance bureau apply. You can also call the hotline 12393.",
            ).localized()
            context["others_text"] = Bilingual(
                f"以下是其他城市的规定，不适用于{name}。",
                f"These are other cities' rules; they do not apply in {name}.",
            ).localized()
    response = render(request, "qa/search.html", context)
    return region_pages.remember_region(request, response)


@require_POST
def feedback_form(request: HttpRequest, entry_id: int) -> HttpResponse:
    """The vote of an entry page, without JavaScript: post, then back to the entry's vote, where its
    outcome is shown (``#feedback-result``: the browser scrolls to it and moves the focus there)."""
    entry = EntryPage.objects.live().filter(pk=entry_id).first()
    if entry is None or not entry.url:
        messages.error(request, DomainError(services.QA_ENTRY_NOT_FOUND).message())
        return HttpResponseRedirect("/qa/")
    back = region_pages.safe_back(request.POST.get("back"))
    target = f"{region_pages.with_back(entry.url, back)}#{region_pages.FEEDBACK_RESULT_ID}"
    helpful = request.POST.get("helpful")
    if helpful not in ("yes", "no"):
        outcome = region_pages.FEEDBACK_CHOOSE
    else:
        try:
            services.feedback_submit(
                entry_id=entry_id,
                helpful=helpful == "yes",
                comment=request.POST.get("comment", ""),
                client_key=client_key(request),
            )
        except DomainError as error:
            outcome = error.code
        else:
            outcome = region_pages.FEEDBACK_THANKS
    return region_pages.feedback_redirect(HttpResponseRedirect(target), entry_id=entry_id, outcome=outcome)
