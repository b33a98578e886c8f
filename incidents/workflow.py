"""The incident lifecycle, as data (docs/architecture.md, rule 2).

New → In progress → On hold → Resolved → Closed, plus Cancelled. Requesters may cancel their own
new incident, confirm a resolution (close) or reopen it; agents do the rest; the system closes
resolved incidents after INCIDENT_AUTOCLOSE_DAYS and resolves children with their parent.
"""

from django.utils.translation import gettext_lazy as _

from servicedesk.workflow import Actor, State, Transition, Workflow

from .choices import IncidentState as S

AGENT = frozenset({Actor.AGENT})
AGENT_OR_SYSTEM = frozenset({Actor.AGENT, Actor.SYSTEM})
REQUESTER_OR_AGENT = frozenset({Actor.AGENT, Actor.REQUESTER})
ANYONE = frozenset({Actor.AGENT, Actor.REQUESTER, Actor.SYSTEM})
RESOLUTION = ("resolution_code", "resolution_notes")

INCIDENT_WORKFLOW = Workflow(
    initial=S.NEW,
    states=[
        State(S.NEW, S.NEW.label, badge="info"),
        State(S.IN_PROGRESS, S.IN_PROGRESS.label, badge="primary"),
        State(S.ON_HOLD, S.ON_HOLD.label, badge="warning"),
        State(S.RESOLVED, S.RESOLVED.label, active=False, resolved=True, badge="success"),
        State(S.CLOSED, S.CLOSED.label, active=False, resolved=True, closed=True, badge="dark"),
        State(S.CANCELLED, S.CANCELLED.label, active=False, closed=True, badge="secondary"),
    ],
    transitions=[
        Transition(S.NEW, S.IN_PROGRESS, _("Start work"), AGENT, style="primary"),
        Transition(S.NEW, S.ON_HOLD, _("Put on hold"), AGENT, requires=("on_hold_reason",), style="outline-warning"),
        Transition(S.NEW, S.RESOLVED, _("Resolve"), AGENT_OR_SYSTEM, requires=RESOLUTION, style="success"),
        Transition(S.NEW, S.CANCELLED, _("Cancel"), REQUESTER_OR_AGENT, style="outline-danger",
                   confirm=True),
        Transition(S.IN_PROGRESS, S.ON_HOLD, _("Put on hold"), AGENT, requires=("on_hold_reason",),
                   style="outline-warning"),
        Transition(S.IN_PROGRESS, S.RESOLVED, _("Resolve"), AGENT_OR_SYSTEM, requires=RESOLUTION, style="success"),
        Transition(S.IN_PROGRESS, S.CANCELLED, _("Cancel"), AGENT, style="outline-danger", confirm=True),
        Transition(S.ON_HOLD, S.IN_PROGRESS, _("Resume work"), AGENT_OR_SYSTEM, name="resume", style="primary"),
        Transition(S.ON_HOLD, S.RESOLVED, _("Resolve"), AGENT_OR_SYSTEM, requires=RESOLUTION, style="success"),
        Transition(S.ON_HOLD, S.CANCELLED, _("Cancel"), AGENT, style="outline-danger", confirm=True),
        Transition(S.RESOLVED, S.CLOSED, _("Confirm and close"), ANYONE, name="close", style="success"),
        Transition(S.RESOLVED, S.IN_PROGRESS, _("Reopen"), REQUESTER_OR_AGENT, name="reopen",
                   style="outline-danger"),
    ],
)
