"""The change lifecycles, as data (docs/architecture.md, rule 2): one table per change type.

Normal:    New → Assessment → Authorization → Scheduled → Implementing → Review → Closed;
           Rejected and Cancelled from every state before Implementing.
Emergency: New → Authorization (emergency CAB) → Implementing → Review → Closed.
Standard:  New → Scheduled → Implementing → Review → Closed (pre-approved: no CAB).

An implementation that fails still goes to Review, with the outcome "failed" or "rolled back".
The moves into and out of Authorization that follow a CAB decision are taken by the system (the
approval engine's ``approval_decided`` hook); agents take them too once the approval is decided.
The guards that depend on data (a planned window, an approval, a review) live in services.py and
answer 409 with what is missing.

The registry holds ``CHANGE_WORKFLOW``: every state (for labels and badges in shared lists) and no
transitions, so nothing outside this app can move a change without its type's table.
"""

from django.utils.translation import gettext_lazy as _

from servicedesk.workflow import Actor, State, Transition, Workflow

from .choices import ChangeState as S
from .choices import ChangeType

AGENT = frozenset({Actor.AGENT})
SYSTEM = frozenset({Actor.SYSTEM})
AGENT_OR_SYSTEM = frozenset({Actor.AGENT, Actor.SYSTEM})

STATES = {
    S.NEW: State(S.NEW, S.NEW.label, badge="info"),
    S.ASSESSMENT: State(S.ASSESSMENT, S.ASSESSMENT.label, badge="info"),
    S.AUTHORIZATION: State(S.AUTHORIZATION, S.AUTHORIZATION.label, badge="warning"),
    S.SCHEDULED: State(S.SCHEDULED, S.SCHEDULED.label, badge="primary"),
    S.IMPLEMENTING: State(S.IMPLEMENTING, S.IMPLEMENTING.label, badge="danger"),
    S.REVIEW: State(S.REVIEW, S.REVIEW.label, badge="success"),
    S.CLOSED: State(S.CLOSED, S.CLOSED.label, active=False, resolved=True, closed=True, badge="dark"),
    S.REJECTED: State(S.REJECTED, S.REJECTED.label, active=False, closed=True, badge="secondary"),
    S.CANCELLED: State(S.CANCELLED, S.CANCELLED.label, active=False, closed=True, badge="secondary"),
}

# States a change is no longer planned in: conflicts and the calendar leave them out.
FINISHED_STATES = frozenset({S.CLOSED, S.REJECTED, S.CANCELLED})
# States before implementation: the planned window can still move.
BEFORE_IMPLEMENTATION = frozenset({S.NEW, S.ASSESSMENT, S.AUTHORIZATION, S.SCHEDULED})


def _states(*values):
    return [STATES[v] for v in values]


def _cancel(source):
    return Transition(source, S.CANCELLED, _("Cancel"), AGENT, style="outline-danger", confirm=True)


def _reject(source, actors=AGENT):
    return Transition(source, S.REJECTED, _("Reject"), actors, name="reject", style="outline-danger",
                      requires=("reason",), confirm=True)


# Taken from Implementing whatever happened: a failed or rolled-back change is reviewed too.
_FINISH = Transition(S.IMPLEMENTING, S.REVIEW, _("Finish implementation"), AGENT, name="finish",
                     requires=("outcome",), style="primary")
_CLOSE = Transition(S.REVIEW, S.CLOSED, _("Close after review"), AGENT, name="close", style="success")
_START = (_("Start implementation"), "start")

NORMAL_WORKFLOW = Workflow(
    initial=S.NEW,
    states=_states(S.NEW, S.ASSESSMENT, S.AUTHORIZATION, S.SCHEDULED, S.IMPLEMENTING, S.REVIEW, S.CLOSED,
                   S.REJECTED, S.CANCELLED),
    transitions=[
        Transition(S.NEW, S.ASSESSMENT, _("Submit for assessment"), AGENT, name="submit", style="primary"),
        _reject(S.NEW),
        _cancel(S.NEW),
        Transition(S.ASSESSMENT, S.AUTHORIZATION, _("Request authorization"), AGENT, name="request_authorization",
                   style="primary"),
        Transition(S.ASSESSMENT, S.NEW, _("Return for rework"), AGENT, name="rework", style="outline-secondary"),
        _reject(S.ASSESSMENT),
        _cancel(S.ASSESSMENT),
        # After the CAB approves: the system when the window is set, else an agent once it is.
        Transition(S.AUTHORIZATION, S.SCHEDULED, _("Schedule"), AGENT_OR_SYSTEM, name="schedule", style="primary"),
        _reject(S.AUTHORIZATION, AGENT_OR_SYSTEM),
        _cancel(S.AUTHORIZATION),
        Transition(S.SCHEDULED, S.IMPLEMENTING, _START[0], AGENT, name=_START[1], style="primary"),
        _reject(S.SCHEDULED),
        _cancel(S.SCHEDULED),
        _FINISH,
        _CLOSE,
    ],
)

EMERGENCY_WORKFLOW = Workflow(
    initial=S.NEW,
    states=_states(S.NEW, S.AUTHORIZATION, S.IMPLEMENTING, S.REVIEW, S.CLOSED, S.REJECTED, S.CANCELLED),
    transitions=[
        Transition(S.NEW, S.AUTHORIZATION, _("Request emergency authorization"), AGENT,
                   name="request_authorization", style="primary"),
        _reject(S.NEW),
        _cancel(S.NEW),
        # After the emergency CAB approves: the system when the window has started, else an agent.
        Transition(S.AUTHORIZATION, S.IMPLEMENTING, _START[0], AGENT_OR_SYSTEM, name=_START[1], style="primary"),
        _reject(S.AUTHORIZATION, AGENT_OR_SYSTEM),
        _cancel(S.AUTHORIZATION),
        _FINISH,
        _CLOSE,
    ],
)

STANDARD_WORKFLOW = Workflow(
    initial=S.NEW,
    states=_states(S.NEW, S.SCHEDULED, S.IMPLEMENTING, S.REVIEW, S.CLOSED, S.CANCELLED),
    transitions=[
        Transition(S.NEW, S.SCHEDULED, _("Schedule"), AGENT, name="schedule", style="primary"),
        _cancel(S.NEW),
        Transition(S.SCHEDULED, S.IMPLEMENTING, _START[0], AGENT, name=_START[1], style="primary"),
        _cancel(S.SCHEDULED),
        _FINISH,
        _CLOSE,
    ],
)

WORKFLOWS = {
    ChangeType.NORMAL: NORMAL_WORKFLOW,
    ChangeType.EMERGENCY: EMERGENCY_WORKFLOW,
    ChangeType.STANDARD: STANDARD_WORKFLOW,
}

# For the registry: every state, no moves (see the module's docstring).
CHANGE_WORKFLOW = Workflow(initial=S.NEW, states=list(STATES.values()), transitions=[])


def workflow_of(change_type: str) -> Workflow:
    return WORKFLOWS[change_type]
