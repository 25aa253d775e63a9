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
from portal.errors import DomainError
from portal.openapi import errors
from portal.pagination import PAGE_PARAMETERS, page, paginated
from portal.people.selectors import person_for_user
from portal.qa import selectors, services
from portal.qa.models import TopicPage
from portal.qa.serializers import (
    QAEntrySerializer,
    QAEntrySummarySerializer,
    QAFeedbackSerializer,
    QASearchSerializer,
    QATopicsSerializer,
    entry_body,
    entry_summary,
    topic_body,
)

TAGS = ["policy Q&A"]
REGION_PARAM = OpenApiParameter("region", str, description="6-digit region code; default: the resident's own")


class TopicsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(parameters=[REGION_PARAM], responses={200: QATopicsSerializer}, tags=TAGS)
    def get(self, request: Request) -> Response:
        region = selectors.region_for_request(request)
        body = {
            "region": region.code if region else None,
            "topics": [
                {**(topic_body(topic) or {}), "entries": count}
                for topic, count in selectors.topics_with_counts(region=region)
            ],
        }
        return Response(QATopicsSerializer(body).data)


class EntriesView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="qa_entries_list",
        parameters=[REGION_PARAM, OpenApiParameter("topic", str, description="topic code"), *PAGE_PARAMETERS],
        responses={200: paginated(QAEntrySummarySerializer)},
        extensions=errors(services.QA_ENTRY_NOT_FOUND),
        tags=TAGS,
        description="The entries in force (for the region, and of one topic if asked), newest first, a page at a "
        "time. An unknown topic is `qa_entry_not_found` (404).",
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
        return page(request, entries, lambda entry: QAEntrySummarySerializer(entry_summary(entry)).data)


class EntryView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="qa_entry_retrieve",
        responses={200: QAEntrySerializer},
        extensions=errors(services.QA_ENTRY_NOT_FOUND),
        tags=TAGS,
    )
    def get(self, request: Request, entry_id: int) -> Response:
        detail = selectors.entry_detail(entry_id=entry_id)
        if detail is None:
            raise DomainError(services.QA_ENTRY_NOT_FOUND)
        return Response(QAEntrySerializer(entry_body(detail)).data)


class SearchQuery(serializers.Serializer):
    q = serializers.CharField(max_length=200, allow_blank=True, trim_whitespace=True)
    limit = serializers.IntegerField(min_value=1, max_value=100, required=False)


class SearchView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[REGION_PARAM, OpenApiParameter("q", str, required=True), OpenApiParameter("limit", int)],
        responses={200: QASearchSerializer},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        params = SearchQuery(data=request.query_params)
        params.is_valid(raise_exception=True)
        region = selectors.region_for_request(request)
        limit = params.validated_data.get("limit") or settings.QA_SEARCH_MAX_RESULTS
        result = services.search_and_log(query=params.validated_data["q"], region=region, limit=limit)
        body = {
            "query": result.query,
            "region": region.code if region else None,
            "terms": result.terms,
            "count": len(result.hits),
            "results": [
                {
                    **entry_summary(hit.entry),
                    "topic": topic_body(hit.topic),
                    "question_html": str(hit.question_html),
                    "snippet_html": str(hit.snippet_html),
                    "score": hit.score,
                }
                for hit in result.hits
            ],
        }
        return Response(QASearchSerializer(body).data)


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

    @extend_schema(
        request=FeedbackInput,
        responses={201: QAFeedbackSerializer, 200: QAFeedbackSerializer},
        extensions=errors(services.QA_ENTRY_NOT_FOUND, services.QA_FEEDBACK_TOO_MANY),
        tags=TAGS,
        description="201: a new vote; 200: it replaced my vote of the same day on this entry.",
    )
    def post(self, request: Request, entry_id: int) -> Response:
        body = FeedbackInput(data=request.data)
        body.is_valid(raise_exception=True)
        feedback, created = services.feedback_submit(
            entry_id=entry_id,
            helpful=body.validated_data["helpful"],
            comment=body.validated_data["comment"],
            client_key=client_key(request),
        )
        answer = {"entry_id": entry_id, "helpful": feedback.helpful, "replaced_earlier_vote": not created}
        return Response(
            QAFeedbackSerializer(answer).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )
