"""Reads of incidents shared by the console and the API."""

from django.db.models import QuerySet

from servicedesk.choices import TicketKind
from servicedesk.queries import ticket_list_queryset, tickets_visible_to


def incidents_visible_to(user) -> QuerySet:
    return ticket_list_queryset(user).filter(kind=TicketKind.INCIDENT)


# An API list row as plain values: no model instances (50 rows made ~240 of them per request). Names
# of people, teams, categories and services come from one lookup (api.serializers.RowLookups).
ROW_VALUES = (
    "id", "number", "title", "state", "priority", "opened_at", "updated_at", "resolved_at", "closed_at",
    "version", "team_id", "category_id", "service_id",
    "requester_id", "assignee_id",
    "incident__impact", "incident__urgency", "incident__channel", "incident__major", "sla_due_at",
)
# Keyset cursors are made from the row: every ordering's columns must be among the values.
BRIEF_ROW_VALUES = ("id", "number", "title", "state", "priority", "opened_at", "updated_at", "sla_due_at")


def incident_rows_queryset(user, *, brief: bool = False) -> QuerySet:
    """Incidents for the API list, as ``.values()`` rows: the full row, or five columns with ``brief``."""
    return tickets_visible_to(user).filter(kind=TicketKind.INCIDENT).values(
        *(BRIEF_ROW_VALUES if brief else ROW_VALUES)
    )


def incident_detail_queryset(user) -> QuerySet:
    return tickets_visible_to(user).filter(kind=TicketKind.INCIDENT).select_related(
        "requester", "requester__organisation", "team", "team__lead", "assignee", "category",
        "category__parent", "service", "parent", "incident", "incident__merged_into",
    )


