"""The active SLA/OLA/UC definitions, loaded once per process and refreshed when any of them changes.

Read by the clock recompute (``sla.services``) and the breach scan (``sla.scan``); kept apart from
both so neither imports the other.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field

from django.db import connection

from .calendar import BusinessCalendar, business_calendar
from .choices import BREACH
from .models import EscalationRule, SlaDefinition


@dataclass
class Loaded:
    obj: SlaDefinition
    calendar: BusinessCalendar
    targets: dict[str, int]
    services: set[int]
    categories: set[int]
    organisations: set[int]
    teams: set[int]
    rules: list[EscalationRule]
    thresholds: list[int] = field(default_factory=list)

    def matches(self, ticket, team_id: int | None = None) -> bool:
        d = self.obj
        if d.kinds and ticket.kind not in d.kinds:
            return False
        if d.priorities and ticket.priority not in d.priorities:
            return False
        if self.services and ticket.service_id not in self.services:
            return False
        if self.categories and ticket.category_id not in self.categories and (
                ticket.category_id is None or ticket.category.parent_id not in self.categories):
            return False
        if self.organisations and ticket.organisation_id not in self.organisations:
            return False
        return not (self.teams and team_id not in self.teams)


@dataclass
class DefinitionSet:
    key: str
    by_type: dict[str, list[Loaded]]
    by_id: dict[int, Loaded]

    def first(self, type_: str, ticket, team_id: int | None = None) -> Loaded | None:
        return next((d for d in self.by_type.get(type_, []) if d.matches(ticket, team_id)), None)


_DEFINITIONS: DefinitionSet | None = None
_DEFINITIONS_LOCK = threading.Lock()


STAMP_SQL = """
SELECT (SELECT max(updated_at)::text || count(*) FROM sla_sladefinition),
       (SELECT max(updated_at)::text || count(*) FROM sla_calendar),
       (SELECT md5(string_agg(concat_ws(':', id, definition_id, metric, seconds), ',' ORDER BY id)) FROM sla_slatarget),
       (SELECT md5(string_agg(concat_ws(':', id, definition_id, metric, threshold, action, team_id, active), ','
                              ORDER BY id)) FROM sla_escalationrule)
"""


def _stamp() -> str:
    """Changes whenever a definition, calendar, target or rule does (small tables: one cheap query)."""
    with connection.cursor() as cursor:
        cursor.execute(STAMP_SQL)
        raw = "|".join(str(v) for v in cursor.fetchone())
    return hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()[:10]


def definitions() -> DefinitionSet:
    """Active definitions with their calendars, targets, match sets and rules (one stamp query when cached)."""
    global _DEFINITIONS
    key = _stamp()
    if _DEFINITIONS is not None and _DEFINITIONS.key == key:
        return _DEFINITIONS
    with _DEFINITIONS_LOCK:
        rows = (SlaDefinition.objects.filter(active=True).select_related("calendar")
                .prefetch_related("targets", "services", "categories", "organisations", "teams",
                                  "calendar__hours", "calendar__dates", "escalations")
                .order_by("type", "order", "id"))
        by_type: dict[str, list[Loaded]] = {}
        by_id: dict[int, Loaded] = {}
        for d in rows:
            rules = [r for r in d.escalations.all() if r.active]
            loaded = Loaded(
                obj=d, calendar=business_calendar(d.calendar), targets={t.metric: t.seconds for t in d.targets.all()},
                services={s.pk for s in d.services.all()}, categories={c.pk for c in d.categories.all()},
                organisations={o.pk for o in d.organisations.all()}, teams={t.pk for t in d.teams.all()},
                rules=rules,
                thresholds=sorted({*(p for p in d.warn_at if 0 < p < BREACH), *(r.threshold for r in rules), BREACH}),
            )
            by_type.setdefault(d.type, []).append(loaded)
            by_id[d.pk] = loaded
        _DEFINITIONS = DefinitionSet(key=key, by_type=by_type, by_id=by_id)
        return _DEFINITIONS


def loaded_definition(definition_id: int) -> Loaded | None:
    return definitions().by_id.get(definition_id)


