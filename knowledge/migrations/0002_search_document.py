"""The article's search document: title and tags (weight A), body (B) and Hangul two-character tokens.

Computed by the ticket search's function (servicedesk migration 0001), so a two-syllable Korean noun
inside a compound matches, and kept by PostgreSQL itself (a stored generated column): bulk loads and
raw SQL keep it right. Not a model field: nothing in Python writes it (docs/knowledge.md, "Search").
"""

from django.db import migrations

ADD = """
ALTER TABLE knowledge_article ADD COLUMN search_document tsvector GENERATED ALWAYS AS (
    esm_search_document(title || ' ' || tags_text, body)) STORED;
CREATE INDEX article_search_idx ON knowledge_article USING gin (search_document);
"""
DROP = "DROP INDEX IF EXISTS article_search_idx; ALTER TABLE knowledge_article DROP COLUMN IF EXISTS search_document;"


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [migrations.RunSQL(ADD, DROP)]
