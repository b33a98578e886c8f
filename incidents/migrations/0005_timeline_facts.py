"""Incident timeline entries store facts: the hold reason on state changes, system notes as codes.

The reason of each hold used to be read back from the incident's audit trail (the n-th time the
reason was set is the n-th hold, aligned from the end when the trail is shorter). This migration
does that one last time and writes it on the entries. System notes written in the writer's
language (English or Korean) become codes that each reader sees in their own.
"""

import re

from django.db import migrations
from django.utils import translation
from django.utils.translation import gettext_lazy as _

NOTES = {
    "resolved_with_parent": _("Resolved with its parent %(number)s."),
    "merged_into": _("Merged into %(number)s as a duplicate."),
    "autoclosed": _("Closed automatically %(days)s days after resolution."),
}
LANGUAGES = ("en", "ko")


def _patterns():
    out = []
    for code, text in NOTES.items():
        for language in LANGUAGES:
            with translation.override(language):
                pattern = re.escape(str(text))
            pattern = re.sub(r"%\\\(([a-z]+)\\\)s", r"(?P<\1>\\S+?)", pattern)
            out.append((code, re.compile(f"^{pattern}$")))
    return out


def hold_reasons(event_model) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    previous: dict[int, str] = {}
    rows = event_model.objects.order_by("pgh_obj_id", "pgh_id").values_list("pgh_obj_id", "on_hold_reason")
    for ticket_id, reason in rows.iterator(chunk_size=5000):
        if reason and reason != previous.get(ticket_id, ""):
            out.setdefault(ticket_id, []).append(reason)
        previous[ticket_id] = reason
    return out


def forwards(apps, schema_editor):
    entry_model = apps.get_model("servicedesk", "TimelineEntry")
    reasons = hold_reasons(apps.get_model("incidents", "IncidentEvent"))
    patterns = _patterns()
    rows = (entry_model.objects.filter(kind="state", ticket__kind="incident").order_by("ticket_id", "at", "id")
            .values_list("id", "ticket_id", "data"))
    by_ticket: dict[int, list] = {}
    for pk, ticket_id, data in rows.iterator(chunk_size=2000):
        by_ticket.setdefault(ticket_id, []).append((pk, dict(data or {})))
    changed = []
    for ticket_id, entries in by_ticket.items():
        holds = [e for e in entries if e[1].get("target") == "on_hold" and "reason" not in e[1]]
        known = reasons.get(ticket_id, [])
        aligned = [""] * max(0, len(holds) - len(known)) + known[-len(holds):] if holds else []
        for (_pk, data), reason in zip(holds, aligned, strict=True):
            data["reason"] = reason
        for pk, data in entries:
            note = (data.get("note") or "").strip()
            for code, pattern in patterns:
                match = pattern.match(note) if note and "note_code" not in data else None
                if match:
                    data.update(note="", note_code=code, note_params=match.groupdict())
                    break
            changed.append(entry_model(pk=pk, data=data))
    entry_model.objects.bulk_update(changed, ["data"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0004_resolution_process_document"),
        ("servicedesk", "0009_timeline_facts"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
