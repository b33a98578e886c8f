"""Lifecycle signals the knowledge app listens to (servicedesk/signals.py)."""

from servicedesk.choices import TicketKind
from servicedesk.models import Ticket

from .services import deflection_link_ticket


def on_ticket_created(sender, ticket_id: int, kind: str, **kwargs) -> None:
    """A requester who searched and then opened a ticket: store the searches and reads on it."""
    if kind == TicketKind.KNOWLEDGE_TASK:
        return
    ticket = Ticket.objects.filter(pk=ticket_id).only("id", "requester_id", "opened_at").first()
    if ticket is not None:
        deflection_link_ticket(actor=None, ticket=ticket)
