"""The lifecycles of service requests (REQ) and fulfilment tasks (TASK), as data (rule 2).

Request:  Awaiting approval → In fulfilment → Complete / Incomplete / Skipped, or Rejected / Cancelled.
          A request's state is not chosen by people: it is rolled up from its items
          (``catalog.rollup``) after every approval decision and task change, and the system takes
          the move. People take one move themselves: cancelling — the requester while nothing is
          approved yet (Awaiting approval), an agent also during fulfilment.
Task:     Waiting (inactive: tasks it depends on are still open) → Open → In progress →
          Closed complete / Closed incomplete / Closed skipped.
          The system opens a waiting task when its dependencies are closed, and skips the open
          tasks of a cancelled request.
"""

from django.utils.translation import gettext_lazy as _

from servicedesk.workflow import Actor, State, Transition, Workflow

from .choices import RequestState as R
from .choices import TaskState as T

AGENT = frozenset({Actor.AGENT})
SYSTEM = frozenset({Actor.SYSTEM})
AGENT_OR_SYSTEM = frozenset({Actor.AGENT, Actor.SYSTEM})
REQUESTER_OR_AGENT = frozenset({Actor.REQUESTER, Actor.AGENT})

REQUEST_STATES = [
    State(R.AWAITING_APPROVAL, R.AWAITING_APPROVAL.label, badge="warning"),
    State(R.IN_FULFILMENT, R.IN_FULFILMENT.label, badge="primary"),
    State(R.COMPLETE, R.COMPLETE.label, active=False, resolved=True, closed=True, badge="success"),
    State(R.INCOMPLETE, R.INCOMPLETE.label, active=False, resolved=True, closed=True, badge="danger"),
    State(R.SKIPPED, R.SKIPPED.label, active=False, resolved=True, closed=True, badge="secondary"),
    State(R.REJECTED, R.REJECTED.label, active=False, closed=True, badge="secondary"),
    State(R.CANCELLED, R.CANCELLED.label, active=False, closed=True, badge="secondary"),
]
OPEN_REQUEST_STATES = (R.AWAITING_APPROVAL, R.IN_FULFILMENT)


def _rolled_up_moves() -> list[Transition]:
    """The system follows the roll-up from every open state to any other state."""
    return [Transition(source, target.value, target.label, SYSTEM, name="rollup")
            for source in OPEN_REQUEST_STATES for target in REQUEST_STATES if target.value != source]


REQUEST_WORKFLOW = Workflow(
    initial=R.AWAITING_APPROVAL,
    states=REQUEST_STATES,
    transitions=[
        # Before anything is approved the requester may still change their mind.
        Transition(R.AWAITING_APPROVAL, R.CANCELLED, _("Cancel request"), REQUESTER_OR_AGENT, name="cancel",
                   style="outline-danger", confirm=True),
        Transition(R.IN_FULFILMENT, R.CANCELLED, _("Cancel request"), AGENT, name="cancel",
                   style="outline-danger", confirm=True),
        *_rolled_up_moves(),
    ],
)

TASK_STATES = [
    State(T.WAITING, T.WAITING.label, active=False, badge="light"),
    State(T.OPEN, T.OPEN.label, badge="info"),
    State(T.IN_PROGRESS, T.IN_PROGRESS.label, badge="primary"),
    State(T.CLOSED_COMPLETE, T.CLOSED_COMPLETE.label, active=False, resolved=True, closed=True, badge="success"),
    State(T.CLOSED_INCOMPLETE, T.CLOSED_INCOMPLETE.label, active=False, resolved=True, closed=True,
          badge="danger"),
    State(T.CLOSED_SKIPPED, T.CLOSED_SKIPPED.label, active=False, resolved=True, closed=True, badge="secondary"),
]
CLOSED_TASK_STATES = frozenset({T.CLOSED_COMPLETE, T.CLOSED_INCOMPLETE, T.CLOSED_SKIPPED})


def _close_moves(source: str, actors=AGENT) -> list[Transition]:
    return [
        Transition(source, T.CLOSED_COMPLETE, _("Close complete"), actors, name="complete", style="success"),
        Transition(source, T.CLOSED_INCOMPLETE, _("Close incomplete"), actors, name="incomplete",
                   style="outline-danger", requires=("note",)),
        Transition(source, T.CLOSED_SKIPPED, _("Skip"), actors | SYSTEM, name="skip",
                   style="outline-secondary", requires=("note",)),
    ]


TASK_WORKFLOW = Workflow(
    initial=T.WAITING,
    states=TASK_STATES,
    transitions=[
        Transition(T.WAITING, T.OPEN, _("Open"), SYSTEM, name="open"),
        Transition(T.WAITING, T.CLOSED_SKIPPED, _("Skip"), AGENT_OR_SYSTEM, name="skip",
                   style="outline-secondary", requires=("note",)),
        Transition(T.OPEN, T.IN_PROGRESS, _("Start work"), AGENT, name="start", style="primary"),
        *_close_moves(T.OPEN),
        Transition(T.IN_PROGRESS, T.OPEN, _("Stop work"), AGENT, name="stop", style="outline-secondary"),
        *_close_moves(T.IN_PROGRESS),
    ],
)
