"""Search documents of a ticket's comments and process fields, kept on the ticket row by triggers.

Ticket search must find words of replies, work notes and (incidents) resolution notes and stay
fast at a million tickets: every document searched lives on the ticket row with its own GIN index,
so PostgreSQL answers a search with one BitmapOr over the ticket table, or walks a list's ordering
index and checks each row, whichever is cheaper (docs/architecture.md, "Search").

The columns are not model fields on purpose: only these triggers write them, so no ``save()`` of a
ticket loaded earlier can write back an outdated document. ``servicedesk.queries`` reads them.
"""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations

COLUMNS = """
ALTER TABLE servicedesk_ticket
    ADD COLUMN reply_document tsvector NOT NULL DEFAULT ''::tsvector,
    ADD COLUMN note_document tsvector NOT NULL DEFAULT ''::tsvector,
    ADD COLUMN process_document tsvector NOT NULL DEFAULT ''::tsvector;
CREATE INDEX ticket_reply_search_idx ON servicedesk_ticket USING gin (reply_document);
CREATE INDEX ticket_note_search_idx ON servicedesk_ticket USING gin (note_document);
CREATE INDEX ticket_process_search_idx ON servicedesk_ticket USING gin (process_document);
"""
DROP_COLUMNS = """
ALTER TABLE servicedesk_ticket DROP COLUMN reply_document, DROP COLUMN note_document, DROP COLUMN process_document;
"""

# Newest comment first: esm_search_document keeps the first 100,000 characters, so a very long
# conversation loses its oldest words, not its latest.
TRIGGERS = r"""
CREATE OR REPLACE FUNCTION esm_ticket_comment_documents(ticket bigint) RETURNS void
LANGUAGE sql AS $$
  UPDATE servicedesk_ticket t
  SET reply_document = d.replies, note_document = d.notes
  FROM (
      SELECT esm_search_document(NULL, string_agg(body, E'\n' ORDER BY id DESC) FILTER (WHERE public)) AS replies,
             esm_search_document(NULL, string_agg(body, E'\n' ORDER BY id DESC) FILTER (WHERE NOT public)) AS notes
      FROM servicedesk_comment WHERE ticket_id = ticket
  ) d
  WHERE t.id = ticket AND (t.reply_document <> d.replies OR t.note_document <> d.notes)
$$;

CREATE OR REPLACE FUNCTION esm_comment_search_documents() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM esm_ticket_comment_documents(OLD.ticket_id);
  END IF;
  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.ticket_id <> OLD.ticket_id) THEN
    PERFORM esm_ticket_comment_documents(NEW.ticket_id);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER esm_comment_search_documents
AFTER INSERT OR DELETE OR UPDATE OF body, public, ticket_id ON servicedesk_comment
FOR EACH ROW EXECUTE FUNCTION esm_comment_search_documents();

-- Tickets that have comments already.
UPDATE servicedesk_ticket t SET reply_document = d.replies, note_document = d.notes
FROM (
    SELECT ticket_id,
           esm_search_document(NULL, string_agg(body, E'\n' ORDER BY id DESC) FILTER (WHERE public)) AS replies,
           esm_search_document(NULL, string_agg(body, E'\n' ORDER BY id DESC) FILTER (WHERE NOT public)) AS notes
    FROM servicedesk_comment GROUP BY ticket_id
) d
WHERE t.id = d.ticket_id;
"""
DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS esm_comment_search_documents ON servicedesk_comment;
DROP FUNCTION IF EXISTS esm_comment_search_documents();
DROP FUNCTION IF EXISTS esm_ticket_comment_documents(bigint);
"""


class Migration(migrations.Migration):

    dependencies = [
        ('servicedesk', '0006_comment_search_document'),
    ]

    operations = [
        # Replaces 0006's document per comment row (docs/architecture.md, "Search": why on the ticket row).
        pgtrigger.migrations.RemoveTrigger(
            model_name='comment',
            name='update_update',
        ),
        migrations.RemoveIndex(
            model_name='comment',
            name='comment_search_idx',
        ),
        migrations.RemoveField(
            model_name='comment',
            name='search_document',
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='comment',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD.* IS DISTINCT FROM NEW.*)', func='INSERT INTO "servicedesk_commentevent" ("author_id", "body", "created_at", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "public", "ticket_id") VALUES (NEW."author_id", NEW."body", NEW."created_at", NEW."id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."public", NEW."ticket_id"); RETURN NULL;', hash='528dced852ec875d14beaaf2f01c149fe1a16a6a', operation='UPDATE', pgid='pgtrigger_update_update_63840', table='servicedesk_comment', when='AFTER')),
        ),
        migrations.RunSQL(COLUMNS, DROP_COLUMNS),
        migrations.RunSQL(TRIGGERS, DROP_TRIGGERS),
    ]
