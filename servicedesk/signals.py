"""The documented lifecycle signals of the shared ticket record.

Higher layers (sla/, problems/, changes/) subscribe in their ``AppConfig.ready()``. All are sent
after the transaction commits, with primary keys only.

- ``ticket_state_changed(ticket_id, source, target, at)``: a ticket moved between workflow states.
- ``ticket_assigned(ticket_id, team_id, previous_team_id)``: team or assignee changed.
- ``ticket_commented(ticket_id, comment_id, by_agent, public)``: a public reply was added.
- ``ticket_priority_changed(ticket_id, old, new)``: the priority changed.
"""

from django.dispatch import Signal

ticket_state_changed = Signal()
ticket_assigned = Signal()
ticket_commented = Signal()
ticket_priority_changed = Signal()
