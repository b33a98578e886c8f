"""A CI's audit trail (pghistory) as people read it: "Created", "Changed: status In service → Retired",
"Relationship added: web-01 runs on db-01", credited to a person, the system or the demo data.

Every name the events refer to (people, teams, classes, CIs, relationship types) is read in one
query per kind for the whole page.
"""

from dataclasses import dataclass, field

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _

from accounts.models import Team, User

from .models import CIClass, ConfigurationItem, RelationshipType
from .queries import ci_history

DEMO_SOURCE = "seed_demo"  # the pghistory context the demo loader sets
SKIPPED_FIELDS = {"updated_at", "version", "created_at", "stale_since"}
LOOKUPS = {"ci_class": CIClass, "owner": User, "owner_team": Team, "support_team": Team}


def _labels() -> dict:
    return {
        ("ConfigurationItem", "insert"): _("Created"),
        ("ConfigurationItem", "update"): _("Changed"),
        ("ConfigurationItem", "delete"): _("Deleted"),
        ("Relationship", "insert"): _("Relationship added"),
        ("Relationship", "update"): _("Relationship changed"),
        ("Relationship", "delete"): _("Relationship removed"),
        ("RedundancyGroup", "insert"): _("Redundancy group created"),
        ("RedundancyGroup", "update"): _("Redundancy group changed"),
        ("RedundancyGroup", "delete"): _("Redundancy group removed"),
    }


@dataclass
class HistoryEntry:
    at: object
    who: str
    label: str
    detail: str = ""
    changes: list[tuple[str, str, str]] = field(default_factory=list)


def _field(name: str):
    try:
        return ConfigurationItem._meta.get_field(name.removesuffix("_id") if name.endswith("_id") else name)
    except FieldDoesNotExist:
        return None


def ci_history_entries(ci: ConfigurationItem, limit: int) -> list[HistoryEntry]:
    events = list(ci_history(ci)[:limit])
    contexts = [e.pgh_context or {} for e in events]
    users = User.objects.in_bulk({c.get("actor") or c.get("user") for c in contexts} - {None})
    # Names referred to by changed foreign keys and by relationships, one query per kind.
    wanted: dict[type, set] = {model: set() for model in {*LOOKUPS.values(), ConfigurationItem, RelationshipType}}
    for e in events:
        for key, (before, after) in (e.pgh_diff or {}).items():
            model = LOOKUPS.get(key.removesuffix("_id"))
            if model:
                wanted[model] |= {v for v in (before, after) if v is not None}
        data = e.pgh_data or {}
        if e.pgh_obj_model.endswith(".Relationship"):
            wanted[ConfigurationItem] |= {data.get("source_id"), data.get("target_id")} - {None}
            wanted[RelationshipType].add(data.get("type_id"))
    names = {model: _names(model, ids - {None}) for model, ids in wanted.items()}
    labels = _labels()
    entries = []
    for event, context in zip(events, contexts, strict=True):
        model_name = event.pgh_obj_model.split(".")[-1]
        if context.get("source") == DEMO_SOURCE:
            who = _("system (demo data)")
        else:
            person = users.get(context.get("actor") or context.get("user"))
            who = person.display_name if person else _("system")
        entry = HistoryEntry(at=event.pgh_created_at, who=who,
                             label=labels.get((model_name, event.pgh_label), f"{model_name} {event.pgh_label}"))
        data = event.pgh_data or {}
        if model_name == "Relationship":
            entry.detail = " ".join([
                names[ConfigurationItem].get(data.get("source_id"), f"#{data.get('source_id')}"),
                names[RelationshipType].get(data.get("type_id"), ""),
                names[ConfigurationItem].get(data.get("target_id"), f"#{data.get('target_id')}"),
            ])
        elif model_name == "RedundancyGroup":
            entry.detail = data.get("name", "")
        elif model_name == "ConfigurationItem" and event.pgh_label == "update":
            entry.changes = [_change(key, before, after, names) for key, (before, after)
                             in sorted((event.pgh_diff or {}).items()) if key not in SKIPPED_FIELDS]
        entries.append(entry)
    return entries


def _names(model, ids) -> dict:
    if not ids:
        return {}
    if model is User:
        return {pk: user.display_name for pk, user in User.objects.in_bulk(ids).items()}
    return dict(model.objects.filter(pk__in=ids).values_list("pk", "name"))


def _change(key: str, before, after, names) -> tuple[str, str, str]:
    model_field = _field(key)
    label = str(model_field.verbose_name) if model_field is not None else key
    model = LOOKUPS.get(key.removesuffix("_id"))

    def shown(value) -> str:
        if value in (None, "", {}, []):
            return "—"
        if model is not None:
            return names[model].get(value, f"#{value}")
        choices = dict(model_field.flatchoices) if model_field is not None and model_field.choices else {}
        return str(choices.get(value, value))

    return label, shown(before), shown(after)
