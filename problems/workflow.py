"""The problem lifecycle, as data (docs/architecture.md, rule 2).

New → Under investigation → Known error → Resolved → Closed, plus Cancelled from every open state.
Problem managers take the moves (``problems.manage_problems``, checked by the service); guards that
depend on data (a linked change closed successfully or a "no change needed" reason to resolve, the
root cause to close) live in services.py and answer 409 ``guard_failed`` with what is missing.
"""

from django.utils.translation import gettext_lazy as _

from servicedesk.workflow import Actor, State, Transition, Workflow

from .choices import ProblemState as S

AGENT = frozenset({Actor.AGENT})
AGENT_OR_SYSTEM = frozenset({Actor.AGENT, Actor.SYSTEM})


def _cancel(source):
    return Transition(source, S.CANCELLED, _("Cancel"), AGENT, style="outline-danger", requires=("reason",),
                      confirm=True)


PROBLEM_WORKFLOW = Workflow(
    initial=S.NEW,
    states=[
        State(S.NEW, S.NEW.label, badge="info"),
        State(S.INVESTIGATION, S.INVESTIGATION.label, badge="primary"),
        State(S.KNOWN_ERROR, S.KNOWN_ERROR.label, badge="warning"),
        State(S.RESOLVED, S.RESOLVED.label, active=False, resolved=True, badge="success"),
        State(S.CLOSED, S.CLOSED.label, active=False, resolved=True, closed=True, badge="dark"),
        State(S.CANCELLED, S.CANCELLED.label, active=False, closed=True, badge="secondary"),
    ],
    transitions=[
        Transition(S.NEW, S.INVESTIGATION, _("Start investigation"), AGENT, name="investigate", style="primary"),
        _cancel(S.NEW),
        Transition(S.INVESTIGATION, S.KNOWN_ERROR, _("Record as known error"), AGENT, name="known_error",
                   style="warning"),
        Transition(S.INVESTIGATION, S.RESOLVED, _("Resolve"), AGENT, name="resolve", style="success"),
        _cancel(S.INVESTIGATION),
        Transition(S.KNOWN_ERROR, S.INVESTIGATION, _("Back to investigation"), AGENT, name="reinvestigate",
                   style="outline-secondary"),
        Transition(S.KNOWN_ERROR, S.RESOLVED, _("Resolve"), AGENT, name="resolve", style="success"),
        _cancel(S.KNOWN_ERROR),
        Transition(S.RESOLVED, S.CLOSED, _("Close"), AGENT_OR_SYSTEM, name="close", style="success"),
        Transition(S.RESOLVED, S.INVESTIGATION, _("Reopen"), AGENT, name="reopen", style="outline-danger"),
    ],
)
