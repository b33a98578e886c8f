"""What the change process adds to other processes' pages: the changes linked to a ticket.

Registered as panel providers (``servicedesk.registry``) so incidents and problems show the changes
that address them or that they were caused by, without importing this app.
"""

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from servicedesk.registry import state_of, ticket_url

from .choices import ChangeType, LinkRelation
from .queries import changes_for_ticket

RELATIONS = dict(LinkRelation.choices)
TYPES = dict(ChangeType.choices)


def linked_changes(tickets, request=None) -> dict:
    """``{ticket id: [change, …]}`` for a ticket's API detail (one query per ticket; details show one)."""
    user = getattr(request, "user", None)
    return {ticket.pk: [{**row,
                         "url": ticket_url("change", row["number"], "api", absolute=False)}
                        for row in changes_for_ticket(ticket, user)] for ticket in tickets}


def linked_changes_desk_panel(ticket, request) -> str:
    """The "Changes" card on a ticket's console page; nothing when no change is linked."""
    rows = changes_for_ticket(ticket, request.user)
    if not rows:
        return ""
    for row in rows:
        row["state_label"] = getattr(state_of("change", row["state"]), "label", row["state"])
        row["relation_label"] = RELATIONS.get(row["relation"], row["relation"])
        row["type_label"] = TYPES.get(row["change_type"], row["change_type"])
        row["desk_url"] = ticket_url("change", row["number"], "desk")
    return mark_safe(render_to_string("changes/_linked_changes_panel.html", {"rows": rows}, request=request))  # noqa: S308
