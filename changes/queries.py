"""Reads of changes shared by the console and the API: lists, detail, links, calendar, CAB agenda, metrics."""

from collections import defaultdict
from datetime import datetime

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.functions import TruncMonth

from accounts.models import Team, User
from accounts.roles import can_work_tickets
from cmdb.models import ConfigurationItem
from servicedesk.choices import TicketKind
from servicedesk.models import Ticket
from servicedesk.queries import tickets_visible_to

from .choices import ChangeState, ChangeType, ImplementationOutcome, LinkRelation
from .models import Change, ChangeLink, FreezeWindow
from .workflow import FINISHED_STATES


def changes_visible_to(user) -> QuerySet:
    """Change tickets ``user`` may see: desk staff only (a requester's API and portal show no changes)."""
    if not can_work_tickets(user):
        return Ticket.objects.none()
    return tickets_visible_to(user).filter(kind=TicketKind.CHANGE)


# An API list row as plain values (as the incident list, docs/architecture.md "Reads"): names of
# people, teams and services come from one lookup query (``RowLookups``).
ROW_VALUES = (
    "id", "number", "title", "state", "priority", "opened_at", "updated_at", "closed_at", "version",
    "team_id", "service_id", "requester_id", "assignee_id",
    "change__change_type", "change__risk_level", "change__risk_score", "change__planned_start",
    "change__planned_end", "change__change_manager_id", "change__outcome",
)

# Keyset orderings of the change list: each ends in id (esm/pagination.py).
CHANGE_ORDERINGS = {
    "-opened_at": ("-opened_at", "-id"),
    "opened_at": ("opened_at", "id"),
    "-updated_at": ("-updated_at", "-id"),
    "planned_start": ("change__planned_start", "id"),
}
CHANGE_ORDERING_FILTERS = {"planned_start": Q(change__planned_start__isnull=False)}
DEFAULT_CHANGE_ORDERING = "-opened_at"


def change_rows_queryset(user) -> QuerySet:
    return changes_visible_to(user).values(*ROW_VALUES)


def change_detail_queryset(user) -> QuerySet:
    return changes_visible_to(user).select_related(
        "requester", "team", "assignee", "category", "service", "change", "change__template",
        "change__change_manager", "change__reviewed_by",
    )


class RowLookups:
    """People, teams and services of a page of rows, in one query."""

    def __init__(self, rows: list[dict]):
        self.people, self.teams, self.services = {}, {}, {}
        people = set()
        for row in rows:
            people |= {row["requester_id"], row["assignee_id"], row["change__change_manager_id"]}
        ids = [sorted(people - {None}), sorted({r["team_id"] for r in rows} - {None}),
               sorted({r["service_id"] for r in rows} - {None})]
        if not any(ids):
            return
        tables = [model._meta.db_table for model in (User, Team, ConfigurationItem)]
        # Table names come from model metadata; the ids are bound.
        sql = (f'SELECT 0, id, username, first_name, last_name FROM "{tables[0]}" WHERE id = ANY(%s) '  # noqa: S608
               f'UNION ALL SELECT 1, id, name, NULL, NULL FROM "{tables[1]}" WHERE id = ANY(%s) '
               f'UNION ALL SELECT 2, id, name, NULL, NULL FROM "{tables[2]}" WHERE id = ANY(%s)')
        with connection.cursor() as cursor:
            cursor.execute(sql, ids)
            for which, pk, name, first, last in cursor.fetchall():
                if which == 0:
                    full = f"{first or ''} {last or ''}".strip()
                    self.people[pk] = {"id": pk, "username": name, "display_name": full or name}
                elif which == 1:
                    self.teams[pk] = {"id": pk, "name": name}
                else:
                    self.services[pk] = {"id": pk, "name": name}


# --- Links ----------------------------------------------------------------------------------


def changes_for_ticket(ticket: Ticket, user) -> list[dict]:
    """The changes linked to an incident or problem (addressing it, or having caused it), for its
    page and API detail: one query."""
    rows = (ChangeLink.objects.filter(ticket=ticket, change__ticket__in=changes_visible_to(user))
            .order_by("-change__ticket__opened_at", "id")
            .values("relation", "change__ticket__number", "change__ticket__title", "change__ticket__state",
                    "change__change_type", "change__planned_start", "change__planned_end"))
    return [{"relation": r["relation"], "number": r["change__ticket__number"], "title": r["change__ticket__title"],
             "state": r["change__ticket__state"], "change_type": r["change__change_type"],
             "planned_start": r["change__planned_start"], "planned_end": r["change__planned_end"]}
            for r in rows[:100]]


def links_of(change: Change) -> list[dict]:
    rows = (ChangeLink.objects.filter(change=change).order_by("relation", "ticket__number")
            .values("relation", "ticket__number", "ticket__kind", "ticket__title", "ticket__state"))
    return [{"relation": r["relation"], "number": r["ticket__number"], "kind": r["ticket__kind"],
             "title": r["ticket__title"], "state": r["ticket__state"]} for r in rows]


# --- Calendar -------------------------------------------------------------------------------

CALENDAR_LIMIT = 2000


def calendar_changes(user, start: datetime, end: datetime, *, service_ids=(), team_ids=(), types=()) -> QuerySet:
    """Changes planned in [start, end) that are still going ahead (not rejected or cancelled)."""
    qs = (changes_visible_to(user)
          .filter(change__planned_start__lt=end, change__planned_end__gt=start)
          .exclude(state__in=[ChangeState.REJECTED, ChangeState.CANCELLED]))
    if service_ids:
        qs = qs.filter(service_id__in=service_ids)
    if team_ids:
        qs = qs.filter(team_id__in=team_ids)
    if types:
        qs = qs.filter(change__change_type__in=types)
    return (qs.select_related("change", "team", "service")
            .only("id", "number", "title", "state", "team__name", "service__name", "change__change_type",
                  "change__planned_start", "change__planned_end", "change__risk_level")
            .order_by("change__planned_start", "id"))


def calendar_freezes(start: datetime, end: datetime, *, service_ids=()) -> QuerySet:
    qs = FreezeWindow.objects.filter(active=True, starts_at__lt=end, ends_at__gt=start)
    if service_ids:
        qs = qs.filter(Q(service__isnull=True) | Q(service_id__in=service_ids))
    return qs.select_related("service").order_by("starts_at", "id")


# --- CAB agenda -----------------------------------------------------------------------------


def cab_agenda(user, *, until: datetime | None = None, limit: int = 100) -> list[Ticket]:
    """Changes the CAB should discuss: awaiting authorization, and (when ``until`` is given) normal
    changes in Assessment planned to start before it. Each has ``conflicts`` set (one query for all)."""
    from .conflicts import change_conflicts_many

    condition = Q(state=ChangeState.AUTHORIZATION)
    if until is not None:
        condition |= Q(state=ChangeState.ASSESSMENT, change__planned_start__lt=until)
    tickets = list(changes_visible_to(user).filter(condition)
                   .select_related("change", "change__change_manager", "team", "service", "requester")
                   .order_by("change__planned_start", "id")[:limit])
    conflicts = change_conflicts_many([t.change for t in tickets])
    freezes = list(FreezeWindow.objects.filter(active=True).select_related("service")) if tickets else []
    for ticket in tickets:
        change = ticket.change
        services = _stored_service_ids(change) | ({ticket.service_id} if ticket.service_id else set())
        window_freezes = [f for f in freezes if change.planned_start and change.planned_end
                          and f.starts_at < change.planned_end and f.ends_at > change.planned_start
                          and (f.service_id is None or f.service_id in services)]
        ticket.conflicts = [*_freeze_facts(window_freezes), *conflicts[change.pk]]
    return tickets


def _stored_service_ids(change: Change) -> set[int]:
    for reason in change.risk_reasons or []:
        if reason.get("code") == "services_endangered":
            return set(reason.get("params", {}).get("service_ids", []))
    return set()


def _freeze_facts(windows) -> list:
    from .conflicts import Conflict

    return [Conflict("freeze", {
        "code": "freeze_service" if w.service_id else "freeze_global", "freeze_id": w.pk, "name": w.name,
        "starts_at": w.starts_at.isoformat(), "ends_at": w.ends_at.isoformat(), "service_id": w.service_id,
        "service": w.service.name if w.service_id else "",
    }) for w in windows]


# --- Metrics --------------------------------------------------------------------------------

SUCCESS = (ImplementationOutcome.SUCCESSFUL, ImplementationOutcome.SUCCESSFUL_WITH_ISSUES)


def change_metrics(user, start: datetime, end: datetime, *, team_ids=()) -> list[dict]:
    """Per month (of opening) and team: changes opened, emergency share, implemented, success rate,
    changes that caused incidents and mean lead time (opened → implementation started, hours).

    Success counts the outcomes "successful" and "successful with issues" among implemented changes
    (those with an outcome)."""
    qs = changes_visible_to(user).filter(opened_at__gte=start, opened_at__lt=end)
    if team_ids:
        qs = qs.filter(team_id__in=team_ids)
    rows = (qs.annotate(month=TruncMonth("opened_at"))
            .values("month", "team_id", "team__name", "change__change_type", "change__outcome", "opened_at",
                    "change__actual_start", "id"))
    rows = list(rows[:100000])
    caused = set(ChangeLink.objects.filter(relation=LinkRelation.CAUSED, change_id__in=[r["id"] for r in rows])
                 .values_list("change_id", flat=True)) if rows else set()
    groups: dict[tuple, dict] = defaultdict(lambda: {"opened": 0, "emergency": 0, "implemented": 0,
                                                    "successful": 0, "caused_incidents": 0, "lead": []})
    for r in rows:
        g = groups[(r["month"], r["team_id"], r["team__name"])]
        g["opened"] += 1
        g["emergency"] += r["change__change_type"] == ChangeType.EMERGENCY
        if r["change__outcome"]:
            g["implemented"] += 1
            g["successful"] += r["change__outcome"] in SUCCESS
        g["caused_incidents"] += r["id"] in caused
        if r["change__actual_start"]:
            g["lead"].append((r["change__actual_start"] - r["opened_at"]).total_seconds() / 3600)
    out = []
    for (month, team_id, team_name), g in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][2] or "")):
        out.append({
            "month": month.date().isoformat()[:7], "team": {"id": team_id, "name": team_name} if team_id else None,
            "opened": g["opened"], "emergency": g["emergency"],
            "emergency_share": round(g["emergency"] / g["opened"], 3) if g["opened"] else None,
            "implemented": g["implemented"], "successful": g["successful"],
            "success_rate": round(g["successful"] / g["implemented"], 3) if g["implemented"] else None,
            "caused_incidents": g["caused_incidents"],
            "mean_lead_time_hours": round(sum(g["lead"]) / len(g["lead"]), 1) if g["lead"] else None,
        })
    return out


def open_states() -> list[str]:
    return [s for s in ChangeState.values if s not in FINISHED_STATES]
