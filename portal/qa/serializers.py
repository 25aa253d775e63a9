"""Answers of the policy Q&A API (the views build their bodies through these, so the OpenAPI document is what
the API answers)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from portal.errors import Bilingual
from portal.qa.entry_cache import EntryCard, EntryDetail, RelatedCard, TopicCard
from portal.qa.models import EntryPage, TopicPage


class QATopicSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(help_text="In the request's language.")
    name_zh = serializers.CharField()


def topic_body(topic: TopicPage | TopicCard | None) -> dict[str, Any] | None:
    if topic is None:
        return None
    return {"code": topic.code, "name": Bilingual(topic.title, topic.name_en).localized(), "name_zh": topic.title}


class QATopicCountSerializer(QATopicSerializer):
    entries = serializers.IntegerField(help_text="Entries in force (for the region, if one is chosen).")


class QATopicsSerializer(serializers.Serializer):
    region = serializers.CharField(allow_null=True, help_text="The region the counts are for; null: every region.")
    topics = QATopicCountSerializer(many=True)


class QAEntrySummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    question = serializers.CharField()
    url = serializers.CharField(allow_null=True, help_text="The entry's page.")


def entry_summary(entry: EntryPage | EntryCard | EntryDetail | RelatedCard) -> dict[str, Any]:
    return {"id": entry.pk, "question": entry.title, "url": entry.url}


class QARegionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class QAEntrySerializer(QAEntrySummarySerializer):
    topic = QATopicSerializer(allow_null=True)
    answer_html = serializers.CharField()
    regions = QARegionSerializer(many=True, help_text="Where it applies; empty: every region.")
    effective_from = serializers.DateField(allow_null=True)
    effective_to = serializers.DateField(allow_null=True)
    source = serializers.CharField(allow_blank=True)  # type: ignore[assignment]  # a member, not Field.source
    source_url = serializers.CharField(allow_null=True)
    related = QAEntrySummarySerializer(many=True)
    last_published_at = serializers.DateTimeField(allow_null=True)


def entry_body(detail: EntryDetail) -> dict[str, Any]:
    return {
        **entry_summary(detail),
        "topic": topic_body(detail.topic),
        "answer_html": str(detail.answer_html),
        "regions": [{"code": code, "name": name} for code, name in detail.regions],
        "effective_from": detail.effective_from,
        "effective_to": detail.effective_to,
        "source": detail.source,
        "source_url": detail.source_url or None,
        "related": [entry_summary(related) for related in detail.related],
        "last_published_at": detail.last_published_at,
    }


class QASearchHitSerializer(QAEntrySummarySerializer):
    topic = QATopicSerializer(allow_null=True)
    question_html = serializers.CharField(help_text="The question with the matched words marked.")
    snippet_html = serializers.CharField(help_text="A part of the answer with the matched words marked.")
    score = serializers.FloatField()


class QASearchSerializer(serializers.Serializer):
    query = serializers.CharField(allow_blank=True, help_text="The query as searched (normalised).")
    region = serializers.CharField(allow_null=True)
    terms = serializers.ListField(child=serializers.CharField(), help_text="The words searched for.")
    count = serializers.IntegerField()
    results = QASearchHitSerializer(many=True)


class QAFeedbackSerializer(serializers.Serializer):
    entry_id = serializers.IntegerField()
    helpful = serializers.BooleanField()
    replaced_earlier_vote = serializers.BooleanField(help_text="A vote of the same day on this entry was replaced.")
