"""One search document per audience on the ticket row, each with one GIN index.

Search used to OR four documents (title/description, replies, work notes, process fields), each
with its own GIN index. PostgreSQL misjudged how many rows such an OR matches: it walked a whole
list's ordering index for a word found nowhere, or sorted tens of thousands of rows for a word
common in one document only (bench/README.md, "search"). Now a search matches one column:

- ``public_document``: title, description, public replies and the process document (what the
  requester reads);
- ``staff_document``: the same plus work notes (desk staff).

Both are stored generated columns over the title/description and the trigger-kept documents of
0007 / incidents 0004, so the triggers stay as they are and the row recomputes them on each update.
Like those, they are not model fields (``servicedesk.queries`` names them). The per-document GIN
indexes and those of ``search_document`` are no longer read and are dropped.
"""

from django.db import migrations

# The old indexes go first: ADD COLUMN … STORED rewrites the table and rebuilds every index on it.
COLUMNS = """
DROP INDEX IF EXISTS ticket_reply_search_idx, ticket_note_search_idx, ticket_process_search_idx;
ALTER TABLE servicedesk_ticket
    ADD COLUMN public_document tsvector GENERATED ALWAYS AS (
        esm_search_document(title, description) || reply_document || process_document) STORED,
    ADD COLUMN staff_document tsvector GENERATED ALWAYS AS (
        esm_search_document(title, description) || reply_document || process_document || note_document) STORED;
CREATE INDEX ticket_public_search_idx ON servicedesk_ticket USING gin (public_document);
CREATE INDEX ticket_staff_search_idx ON servicedesk_ticket USING gin (staff_document);
"""
DROP_COLUMNS = """
CREATE INDEX ticket_reply_search_idx ON servicedesk_ticket USING gin (reply_document);
CREATE INDEX ticket_note_search_idx ON servicedesk_ticket USING gin (note_document);
CREATE INDEX ticket_process_search_idx ON servicedesk_ticket USING gin (process_document);
ALTER TABLE servicedesk_ticket DROP COLUMN public_document, DROP COLUMN staff_document;
"""


class Migration(migrations.Migration):

    dependencies = [
        ("servicedesk", "0009_timeline_facts"),
        ("incidents", "0004_resolution_process_document"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="ticket", name="ticket_search_idx"),
        migrations.RemoveIndex(model_name="ticket", name="ticket_search_active_idx"),
        migrations.RunSQL(COLUMNS, DROP_COLUMNS),
    ]
