"""Workflow machinery shared by every process: states and allowed transitions declared as data.

Each process (incidents/workflow.py, later problems and changes) declares one ``Workflow``; the
services refuse any move the table does not list, and pages and API offer only the moves the
current person may take.
"""

from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.functional import Promise


class Actor(StrEnum):
    """Who is making a move, relative to the ticket."""

    AGENT = "agent"  # someone with the desk permission
    REQUESTER = "requester"  # the person the ticket is for
    SYSTEM = "system"  # background tasks and cascades


@dataclass(frozen=True)
class State:
    value: str
    label: str | Promise
    active: bool = True  # still being worked (queues, SLA clocks)
    resolved: bool = False  # sets resolved_at
    closed: bool = False  # terminal: sets closed_at
    badge: str = "secondary"


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    label: str | Promise
    actors: frozenset[Actor]
    requires: tuple[str, ...] = ()  # fields the caller must supply, e.g. resolution_code
    name: str = ""  # a verb for buttons and events when it differs from the target ("reopen")
    style: str = "outline-primary"
    # Destructive (cancelling): pages set it apart and ask for confirmation, with a reason.
    confirm: bool = False


@dataclass
class Workflow:
    states: list[State]
    transitions: list[Transition]
    initial: str
    _by_value: dict[str, State] = field(init=False, repr=False)

    def __post_init__(self):
        self._by_value = {s.value: s for s in self.states}
        for t in self.transitions:
            assert t.source in self._by_value and t.target in self._by_value, t
        assert self.initial in self._by_value

    def state(self, value: str) -> State:
        return self._by_value[value]

    def choices(self) -> list[tuple[str, str]]:
        return [(s.value, s.label) for s in self.states]

    def transitions_from(self, source: str, actors: set[Actor]) -> list[Transition]:
        return [t for t in self.transitions if t.source == source and t.actors & actors]

    def find(self, source: str, target: str, actors: set[Actor]) -> Transition | None:
        for t in self.transitions_from(source, actors):
            if t.target == target:
                return t
        return None
