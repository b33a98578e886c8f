"""A ticket's recorded history, as the clocks need it: phases (state, hold reason, team) and responses.

Read from the shared timeline (``servicedesk.TimelineEntry``), whose entries store facts: a state
change carries the hold reason it entered with, an assignment or escalation the team's id. Nothing
is reconstructed from other tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from servicedesk.choices import EventKind
from servicedesk.models import TimelineEntry
from servicedesk.registry import state_of, workflow_for

TEAM_EVENTS = {EventKind.ASSIGNED, EventKind.ESCALATED}


@dataclass
class Phase:
    start: datetime
    end: datetime | None  # None: still in it
    state: str
    reason: str
    team_id: int | None
    active: bool

    def token_matches(self, conditions: list[str]) -> bool:
        for condition in conditions:
            state, _sep, reason = condition.partition(":")
            if state == self.state and (not reason or reason == self.reason):
                return True
        return False


@dataclass
class History:
    opened_at: datetime
    phases: list[Phase] = field(default_factory=list)
    responses: list[datetime] = field(default_factory=list)  # acknowledgements and public replies by staff
    mark: str = ""


def entries_for(ticket_ids: list[int]) -> dict[int, list]:
    rows = (TimelineEntry.objects.filter(ticket_id__in=ticket_ids,
                                         kind__in=[EventKind.CREATED, EventKind.STATE, EventKind.ASSIGNED,
                                                   EventKind.ESCALATED, EventKind.COMMENT])
            .order_by("ticket_id", "at", "id").values_list("ticket_id", "id", "at", "kind", "actor_id", "public",
                                                           "data"))
    out: dict[int, list] = {pk: [] for pk in ticket_ids}
    for row in rows:
        out[row[0]].append(row[1:])
    return out


def build_history(ticket, entries: list, *, max_id: int | None = None) -> History:
    """Phases from opening to now. ``entries`` are (id, at, kind, actor_id, public, data) in time order."""
    workflow = workflow_for(ticket.kind)
    history = History(opened_at=ticket.opened_at)
    state = workflow.initial
    reason = ""
    team_id = None
    started = False

    def begin(at):
        if history.phases and history.phases[-1].end is None:
            history.phases[-1].end = at
        info = state_of(ticket.kind, state)
        history.phases.append(Phase(start=at, end=None, state=state, reason=reason, team_id=team_id,
                                    active=info.active if info else True))

    for _pk, at, kind, actor_id, public, data in entries:
        if kind == EventKind.CREATED:
            history.opened_at = at
            if not started:
                started = True
                begin(at)
            continue
        if not started:
            started = True
            begin(history.opened_at)
        if kind == EventKind.STATE:
            state = data.get("target", state)
            reason = data.get("reason") or ""
            if actor_id is not None and actor_id != ticket.requester_id:
                history.responses.append(at)
            begin(at)
        elif kind in TEAM_EVENTS and "team_id" in data:
            new_team = data["team_id"]
            if new_team != team_id:
                team_id = new_team
                begin(at)
        elif kind == EventKind.COMMENT and public and actor_id is not None and actor_id != ticket.requester_id:
            history.responses.append(at)
    if not started:
        team_id = ticket.team_id
        begin(history.opened_at)
    # Drop empty phases (several entries at the same instant), keeping the last state of each instant.
    history.phases = [p for p in history.phases if p.end is None or p.end > p.start]
    history.mark = f"{max_id or 0}:{ticket.version}"
    return history
