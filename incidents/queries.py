"""Reads of incidents shared by the console and the API."""

from django.db.models import QuerySet

from servicedesk.choices import TicketKind
from servicedesk.queries import ticket_list_queryset, tickets_visible_to


def incidents_visible_to(user) -> QuerySet:
    return ticket_list_queryset(user).filter(kind=TicketKind.INCIDENT)


def incident_detail_queryset(user) -> QuerySet:
    return tickets_visible_to(user).filter(kind=TicketKind.INCIDENT).select_related(
        "requester", "requester__organisation", "team", "team__lead", "assignee", "category",
        "category__parent", "service", "parent", "incident", "incident__merged_into",
    )
