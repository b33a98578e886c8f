"""Timeline entries store facts: team ids on assignments and escalations, no labels on field changes.

Earlier entries named teams only (clocks turned names back into ids, wrong after a rename) and
stored field labels in the writer's language. A team that no longer has its recorded name is taken
to be the ticket's current team, the best the old rows allow. Processes backfill their own facts
(hold reasons, system notes) in their own migrations.
"""

from django.db import migrations

TEAM_EVENTS = ("assigned", "escalated")


def forwards(apps, schema_editor):
    entry_model = apps.get_model("servicedesk", "TimelineEntry")
    teams = dict(apps.get_model("accounts", "Team").objects.values_list("name", "id"))
    rows = (entry_model.objects.filter(kind__in=[*TEAM_EVENTS, "fields"]).order_by("id")
            .values_list("id", "kind", "data", "ticket__team_id"))
    changed = []
    for pk, kind, data, current_team in rows.iterator(chunk_size=2000):
        data = dict(data or {})
        if kind in TEAM_EVENTS:
            for name_key, id_key in (("team", "team_id"), ("from_team", "from_team_id")):
                if name_key in data and id_key not in data:
                    name = data[name_key]
                    data[id_key] = (teams.get(name) or current_team) if name else None
        elif isinstance(data.get("changes"), dict):
            data["changes"] = {name: {k: v for k, v in change.items() if k != "label"} if isinstance(change, dict)
                               else change for name, change in data["changes"].items()}
        changed.append(entry_model(pk=pk, data=data))
        if len(changed) >= 1000:
            entry_model.objects.bulk_update(changed, ["data"])
            changed = []
    if changed:
        entry_model.objects.bulk_update(changed, ["data"])


class Migration(migrations.Migration):
    dependencies = [
        ("servicedesk", "0008_ticket_sla_dirty"),
        ("accounts", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
