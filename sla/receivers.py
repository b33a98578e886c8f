"""Subscriptions to the service desk's lifecycle signals (connected in ``SlaConfig.ready``).

The documented signals arrive after commit. Field changes without a signal of their own (service,
category) are caught from the ticket's ``post_save`` and handled after commit too. Every handler
does the same thing — recompute the ticket's clocks from its history — and a recompute that finds
the history unchanged stops after two queries, so repeated signals cost little.
"""

from django.db import transaction

from .services import recompute_after_change

RETARGET_FIELDS = {"priority", "service", "category"}


def on_state_changed(sender, ticket_id, **kwargs):
    recompute_after_change(ticket_id, "state changed")


def on_assigned(sender, ticket_id, **kwargs):
    recompute_after_change(ticket_id, "assigned")


def on_commented(sender, ticket_id, **kwargs):
    recompute_after_change(ticket_id, "replied")


def on_priority_changed(sender, ticket_id, **kwargs):
    recompute_after_change(ticket_id, "priority changed")


def on_ticket_saved(sender, instance, created, update_fields=None, **kwargs):
    if created or (update_fields and RETARGET_FIELDS & set(update_fields)):
        reason = "opened" if created else ", ".join(sorted(RETARGET_FIELDS & set(update_fields))) + " changed"
        pk = instance.pk
        transaction.on_commit(lambda: recompute_after_change(pk, reason))
