"""Subscriptions to the service desk's lifecycle signals (connected in ``SlaConfig.ready``).

The signals arrive after commit. Every handler does the same thing — recompute the ticket's clocks
from its history — and only while the ticket is marked dirty (``Ticket.sla_dirty_since``, set in
the business transaction): the first handler of a change recomputes and clears the mark, any other
signal of the same change then costs one query. A mark left behind (the process died after the
commit) is found by the sweep (``sla.tasks.sweep_dirty_clocks``).
"""

from .services import recompute_after_change

# Fields whose change can move a ticket to another agreement or target.
RETARGET_FIELDS = frozenset({"priority", "service", "category"})


def on_created(sender, ticket_id, **kwargs):
    recompute_after_change(ticket_id, "opened")


def on_state_changed(sender, ticket_id, **kwargs):
    recompute_after_change(ticket_id, "state changed")


def on_assigned(sender, ticket_id, **kwargs):
    recompute_after_change(ticket_id, "assigned")


def on_commented(sender, ticket_id, **kwargs):
    recompute_after_change(ticket_id, "replied")


def on_fields_changed(sender, ticket_id, fields, **kwargs):
    changed = RETARGET_FIELDS & set(fields)
    if changed:
        recompute_after_change(ticket_id, ", ".join(sorted(changed)) + " changed")
