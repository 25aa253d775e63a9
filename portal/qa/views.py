"""Policy Q&A API: public topics, entries, search and feedback (signed in or not).

The region comes from ``?region=<code>`` or the signed-in resident; without either, every region's
entries are returned, each saying where it applies.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.clientip import client_ip
from portal.errors import Bilingual, DomainError
from portal.people.selectors import person_for_user
from portal.qa import selectors, services
from portal.qa.entry_cache import EntryCard, EntryDetail, RelatedCard, TopicCard
from portal.qa.models import EntryPage, TopicPage

REGION_PARAM = OpenApiParameter("region", str, description="6-digit region code; default: the resident's own")


def _topic(topic: TopicPage | TopicCard | None) -> dict[str, Any] | None:
    if topic is None:
        return None
    return {"code": topic.code, "name": Bilingual(topic.title, topic.name_en).localized(), "name_zh": topic.title}


def _entry_summary(entry: EntryPage | EntryCard | EntryDetail | RelatedCard) -> dict[str, Any]:
    return {"id": entry.pk, "question": entry.title, "url": entry.url}


def _entry(detail: EntryDetail) -> dict[str, Any]:
    return {
        **_entry_summary(detail),
        "topic": _topic(detail.topic),
        "answer_html": str(detail.answer_html),
        "regions": [{"code": code, "name": name} for code, name in detail.regions],
        "effective_from": detail.effective_from,
        "effective_to": detail.effective_to,
        "source": detail.source,
        "source_url": detail.source_url or None,
        "related": [_entry_summary(related) for related in detail.related],
        "last_published_at": detail.last_published_at,
    }


class TopicsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(parameters=[REGION_PARAM], responses={200: None}, tags=["policy Q&A"])
    def get(self, request: Request) -> Response:
        region = selectors.region_for_request(request)
        return Response(
            {
                "region": region.code if region else None,
                "topics": [
                    {**(_topic(topic) or {}), "entries": count}
                    for topic, count in selectors.topics_with_counts(region=region)
                ],
            }
        )


class EntriesView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="qa_entries_list",
        parameters=[REGION_PARAM, OpenApiParameter("topic", str, description="topic code")],
        responses={200: None},
        tags=["policy Q&A"],
    )
    def get(self, request: Request) -> Response:
        region = selectors.region_for_request(request)
        entries = selectors.entries_in_force(region=region)
        code = request.query_params.get("topic")
        if code:
            topic = TopicPage.objects.live().filter(code=code).first()
            if topic is None:
                raise DomainError(services.QA_ENTRY_NOT_FOUND)
            entries = entries.child_of(topic)
        return Response({"entries": [_entry_summary(entry) for entry in entries[:500]]})


class EntryView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(operation_id="qa_entry_retrieve", responses={200: None}, tags=["policy Q&A"])
    def get(self, request: Request, entry_id: int) -> Response:
        detail = selectors.entry_detail(entry_id=entry_id)
        if detail is None:
            raise DomainError(services.QA_ENTRY_NOT_FOUND)
        return Response(_entry(detail))


class SearchQuery(serializers.Serializer):
    q = serializers.CharField(max_length=200, allow_blank=True, trim_whitespace=True)
    limit = serializers.IntegerField(min_value=1, max_value=100, required=False)


class SearchView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[REGION_PARAM, OpenApiParameter("q", str, required=True), OpenApiParameter("limit", int)],
        responses={200: None},
        tags=["policy Q&A"],
    )
    def get(self, request: Request) -> Response:
        params = SearchQuery(data=request.query_params)
        params.is_valid(raise_exception=True)
        region = selectors.region_for_request(request)
        limit = params.validated_data.get("limit") or settings.QA_SEARCH_MAX_RESULTS
        result = services.search_and_log(query=params.validated_data["q"], region=region, limit=limit)
        return Response(
            {
                "query": result.query,
                "region": region.code if region else None,
                "terms": result.terms,
                "count": len(result.hits),
                "results": [
                    {
                        **_entry_summary(hit.entry),
                        "topic": _topic(hit.topic),
                        "question_html": str(hit.question_html),
                        "snippet_html": str(hit.snippet_html),
                        "score": hit.score,
                    }
                    for hit in result.hits
                ],
            }
        )


class FeedbackInput(serializers.Serializer):
    helpful = serializers.BooleanField()
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


def client_key(request: Any) -> str:
    """Who is voting, for the one-vote-a-day rule and the rate limit: the resident, else the address."""
    person = person_for_user(user=getattr(request, "user", None))
    if person is not None:
        return f"person:{person.pk}"
    return f"addr:{client_ip(request)}"


class FeedbackView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(request=FeedbackInput, responses={201: None, 200: None}, tags=["policy Q&A"])
    def post(self, request: Request, entry_id: int) -> Response:
        body = FeedbackInput(data=request.data)
        body.is_valid(raise_exception=True)
        feedback, created = services.feedback_submit(
            entry_id=entry_id,
            helpful=body.validated_data["helpful"],
            comment=body.validated_data["comment"],
            client_key=client_key(request),
        )
        return Response(
            {"entry_id": entry_id, "helpful": feedback.helpful, "replaced_earlier_vote": not created},
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
