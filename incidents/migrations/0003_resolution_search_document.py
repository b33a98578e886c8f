"""An incident's resolution notes are searchable: a trigger keeps ``servicedesk_ticket.process_document``.

The notes stay on the incident row, where the workflow writes and clears them; the ticket row holds
only their search document (servicedesk 0006, docs/architecture.md "Search"). Requesters read the
notes (portal, API), so the process document is searched for everyone who sees the ticket.
"""

from django.db import migrations

TRIGGER = """
CREATE OR REPLACE FUNCTION esm_incident_search_document() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE servicedesk_ticket SET process_document = esm_search_document(NULL, NEW.resolution_notes)
  WHERE id = NEW.ticket_id AND process_document <> esm_search_document(NULL, NEW.resolution_notes);
  RETURN NULL;
END
$$;

CREATE TRIGGER esm_incident_search_document
AFTER INSERT OR UPDATE OF resolution_notes ON incidents_incident
FOR EACH ROW EXECUTE FUNCTION esm_incident_search_document();

UPDATE servicedesk_ticket t SET process_document = esm_search_document(NULL, i.resolution_notes)
FROM incidents_incident i WHERE i.ticket_id = t.id AND i.resolution_notes <> '';
"""
DROP_TRIGGER = """
DROP TRIGGER IF EXISTS esm_incident_search_document ON incidents_incident;
DROP FUNCTION IF EXISTS esm_incident_search_document();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0002_defaults'),
        ('servicedesk', '0006_ticket_text_documents'),
    ]

    operations = [
        migrations.RunSQL(TRIGGER, DROP_TRIGGER),
    ]
