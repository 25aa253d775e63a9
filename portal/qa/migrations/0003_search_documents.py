"""Search with the databases' own full-text engines: one SearchDocument per published entry instead of
the SearchPosting inverted index.

- PostgreSQL: ``qa_searchdocument.vector``, a tsvector generated from the three token columns
  (question words weight A, answer words B, question characters C, positions in text order; the
  tokens are taken as they are, with no parser), with a GIN index. The vector stays in the row and
  the token text goes to TOAST, so that ranking reads only what it needs.
- SQLite: an FTS5 table over the three columns (external content), kept in step by triggers; its
  tokenizer splits only at white space, so a token is matched exactly as jieba cut it.

Existing published entries are indexed here, with the synonym groups of the time; `manage.py
qa_reindex` does the same at any time.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

POSTGRESQL = [
    r"""
    CREATE OR REPLACE FUNCTION qa_search_vector(question_terms text, answer_terms text, question_chars text)
    RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT coalesce(string_agg(
            '''' || replace(replace(t.token, '\', '\\'), '''', '''''') || ''':' || least(t.position, 16383)
                || CASE WHEN t.position <= q.n THEN 'A' WHEN t.position <= q.n + a.n THEN 'B' ELSE 'C' END,
            ' '), '')::tsvector
        FROM (SELECT coalesce(cardinality(string_to_array(question_terms, ' ')), 0) AS n) AS q,
             (SELECT coalesce(cardinality(string_to_array(answer_terms, ' ')), 0) AS n) AS a,
             unnest(string_to_array(question_terms, ' ') || string_to_array(answer_terms, ' ')
                    || string_to_array(question_chars, ' ')) WITH ORDINALITY AS t(token, position)
        WHERE t.token <> ''
    $$
    """,
    """
    ALTER TABLE qa_searchdocument ADD COLUMN vector tsvector
        GENERATED ALWAYS AS (qa_search_vector(question_terms, answer_terms, question_chars)) STORED
    """,
    # Ranking reads only the vector: it stays in the row (MAIN), the token text goes to TOAST (EXTERNAL),
    # so a scan of the candidates reads ~2 KB a row instead of ~3.
    "ALTER TABLE qa_searchdocument ALTER COLUMN vector SET STORAGE MAIN",
    """ALTER TABLE qa_searchdocument ALTER COLUMN question_terms SET STORAGE EXTERNAL,
        ALTER COLUMN answer_terms SET STORAGE EXTERNAL, ALTER COLUMN question_chars SET STORAGE EXTERNAL""",
    "ALTER TABLE qa_searchdocument SET (toast_tuple_target = 128)",
    "CREATE INDEX qa_searchdocument_vector ON qa_searchdocument USING gin (vector)",
]
POSTGRESQL_BACK = [
    "DROP INDEX IF EXISTS qa_searchdocument_vector",
    "ALTER TABLE qa_searchdocument DROP COLUMN IF EXISTS vector",
    "DROP FUNCTION IF EXISTS qa_search_vector(text, text, text)",
]

_FTS_COLUMNS = "question_terms, answer_terms, question_chars"
SQLITE = [
    f"""
    CREATE VIRTUAL TABLE qa_searchdocument_fts USING fts5(
        {_FTS_COLUMNS}, content='qa_searchdocument', content_rowid='entry_id',
        tokenize="unicode61 remove_diacritics 0 categories 'L* M* N* P* S* Co'"
    )
    """,
    f"""
    CREATE TRIGGER qa_searchdocument_fts_insert AFTER INSERT ON qa_searchdocument BEGIN
        INSERT INTO qa_searchdocument_fts(rowid, {_FTS_COLUMNS})
        VALUES (new.entry_id, new.question_terms, new.answer_terms, new.question_chars);
    END
    """,
    f"""
    CREATE TRIGGER qa_searchdocument_fts_delete AFTER DELETE ON qa_searchdocument BEGIN
        INSERT INTO qa_searchdocument_fts(qa_searchdocument_fts, rowid, {_FTS_COLUMNS})
        VALUES ('delete', old.entry_id, old.question_terms, old.answer_terms, old.question_chars);
    END
    """,
    f"""
    CREATE TRIGGER qa_searchdocument_fts_update AFTER UPDATE ON qa_searchdocument BEGIN
        INSERT INTO qa_searchdocument_fts(qa_searchdocument_fts, rowid, {_FTS_COLUMNS})
        VALUES ('delete', old.entry_id, old.question_terms, old.answer_terms, old.question_chars);
        INSERT INTO qa_searchdocument_fts(rowid, {_FTS_COLUMNS})
        VALUES (new.entry_id, new.question_terms, new.answer_terms, new.question_chars);
    END
    """,
]
SQLITE_BACK = [
    "DROP TRIGGER IF EXISTS qa_searchdocument_fts_update",
    "DROP TRIGGER IF EXISTS qa_searchdocument_fts_delete",
    "DROP TRIGGER IF EXISTS qa_searchdocument_fts_insert",
    "DROP TABLE IF EXISTS qa_searchdocument_fts",
]


def create_engine_index(apps, schema_editor):
    for sql in {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def drop_engine_index(apps, schema_editor):
    for sql in {"postgresql": POSTGRESQL_BACK, "sqlite": SQLITE_BACK}.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def index_published_entries(apps, schema_editor):
    db = schema_editor.connection.alias
    EntryPage = apps.get_model("qa", "EntryPage")
    SearchDocument = apps.get_model("qa", "SearchDocument")
    SynonymGroup = apps.get_model("qa", "SynonymGroup")
    entries = EntryPage.objects.using(db).filter(live=True).order_by("pk")
    if not entries.exists():
        return
    from portal.qa.text import build_synonyms, document_terms  # pure functions of the text

    synonyms = build_synonyms(SynonymGroup.objects.using(db).order_by("pk").values_list("pk", "terms"))
    batch = []
    for entry in entries.only("pk", "title", "answer").iterator(chunk_size=500):
        terms = document_terms(question=entry.title, answer_html=entry.answer, synonyms=synonyms)
        batch.append(
            SearchDocument(
                entry_id=entry.pk,
                question_terms=terms.question_terms,
                answer_terms=terms.answer_terms,
                question_chars=terms.question_chars,
            )
        )
        if len(batch) == 500:
            SearchDocument.objects.using(db).bulk_create(batch)
            batch = []
    SearchDocument.objects.using(db).bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [("qa", "0002_partition_search_log")]

    operations = [
        migrations.CreateModel(
            name="SearchDocument",
            fields=[
                (
                    "entry",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="qa.entrypage",
                    ),
                ),
                ("question_terms", models.TextField()),
                ("answer_terms", models.TextField()),
                ("question_chars", models.TextField()),
                ("indexed_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.RunPython(create_engine_index, drop_engine_index),
        migrations.RunPython(index_published_entries, migrations.RunPython.noop),
        migrations.DeleteModel(name="SearchPosting"),
    ]
