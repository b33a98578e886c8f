"""The documented lifecycle signals of the shared ticket record.

Sent by the service desk's own services (servicedesk/services.py) once the transaction commits,
with primary keys and plain values only; a rolled-back write sends nothing. Higher layers (sla/,
later problems/ and changes/) subscribe in their ``AppConfig.ready()``. Nothing subscribes to
``post_save``: a ``save()`` outside the services is not a business change.

- ``ticket_created(ticket_id, kind)``: a ticket was opened.
- ``ticket_state_changed(ticket_id, source, target, at, actor_id)``: a ticket moved between workflow
  states (``actor_id`` None for the system).
- ``ticket_assigned(ticket_id, team_id, previous_team_id)``: team or assignee changed.
- ``ticket_commented(ticket_id, comment_id, by_agent, public)``: a public reply was added.
- ``ticket_fields_changed(ticket_id, fields)``: fields changed (a frozenset of names: the shared
  record's, such as ``priority``, ``service``, ``category``, and the process's own).
- ``ticket_priority_changed(ticket_id, old, new)``: the priority changed (sent with
  ``ticket_fields_changed``, for subscribers that care about nothing else).
- ``approval_decided(ticket_id, kind, round, outcome, actor_id)``: a ticket's approval round was
  approved or rejected (servicedesk/approvals.py; the process's own ``approval_decided`` hook has
  already moved the ticket in the same transaction).
"""

from django.dispatch import Signal

ticket_created = Signal()
ticket_state_changed = Signal()
ticket_assigned = Signal()
ticket_commented = Signal()
ticket_fields_changed = Signal()
ticket_priority_changed = Signal()
approval_decided = Signal()
