"""The catalog search document: an item's names and descriptions in English and Korean, tokenised by
the ticket search's ``esm_search_document`` (words, plus Hangul two-character tokens), kept by
PostgreSQL as a stored generated column with a GIN index. Not a model field, as the ticket
documents are not (docs/catalog.md, "Search")."""

from django.db import migrations

ADD = """
ALTER TABLE catalog_catalogitem ADD COLUMN search_document tsvector GENERATED ALWAYS AS (
  esm_search_document(
    name || ' ' || coalesce(translations -> 'ko' ->> 'name', ''),
    short_description || ' ' || coalesce(translations -> 'ko' ->> 'short_description', '') || ' '
      || description || ' ' || coalesce(translations -> 'ko' ->> 'description', '')
  )
) STORED;
CREATE INDEX catalog_item_search_idx ON catalog_catalogitem USING gin (search_document);
"""
DROP = """
DROP INDEX IF EXISTS catalog_item_search_idx;
ALTER TABLE catalog_catalogitem DROP COLUMN IF EXISTS search_document;
"""


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_roles"), ("servicedesk", "0001_initial")]

    operations = [migrations.RunSQL(ADD, DROP)]
