"""An incident's resolution notes are searchable: a trigger keeps ``servicedesk_ticket.process_document``.

The notes stay on the incident row, where the workflow writes and clears them; the ticket row holds
only their search document (servicedesk 0007, docs/architecture.md "Search"). Requesters read the
notes (portal, API), so the process document is searched for everyone who sees the ticket.
"""

import pgtrigger.compiler
import pgtrigger.migrations
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
        ('incidents', '0003_resolution_search_document'),
        ('servicedesk', '0007_ticket_text_documents'),
    ]

    operations = [
        # Replaces 0003's document on the incident row (docs/architecture.md, "Search": why on the ticket row).
        pgtrigger.migrations.RemoveTrigger(
            model_name='incident',
            name='update_update',
        ),
        migrations.RemoveIndex(
            model_name='incident',
            name='incident_resolution_search_idx',
        ),
        migrations.RemoveField(
            model_name='incident',
            name='resolution_search_document',
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='incident',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(condition='WHEN (OLD.* IS DISTINCT FROM NEW.*)', func='INSERT INTO "incidents_incidentevent" ("channel", "impact", "major", "merged_into_id", "on_hold_reason", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "resolution_code", "resolution_notes", "ticket_id", "urgency") VALUES (NEW."channel", NEW."impact", NEW."major", NEW."merged_into_id", NEW."on_hold_reason", _pgh_attach_context(), NOW(), \'update\', NEW."ticket_id", NEW."resolution_code", NEW."resolution_notes", NEW."ticket_id", NEW."urgency"); RETURN NULL;', hash='a86d7ff0db7771b26c415215a537c4bd85d0bc8f', operation='UPDATE', pgid='pgtrigger_update_update_41444', table='incidents_incident', when='AFTER')),
        ),
        migrations.RunSQL(TRIGGER, DROP_TRIGGER),
    ]
