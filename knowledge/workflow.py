"""Lifecycles as data (docs/architecture.md, rule 2): the article's and the knowledge task's (KBT).

Article: draft → review → published → retired. Review returns to draft ("send back"); a published
article takes new versions without leaving the portal: the version goes to review and is
published over the current one. Who may take a move depends on the knowledge base's publishing
policy; services.article_actions answers it for pages and the API.

Knowledge task: open → done or cancelled. A publication review is closed by the system when its
approval is decided (``approval_decided``); agents close review and feedback tasks.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from servicedesk.workflow import Actor, State, Transition, Workflow

from .choices import ArticleState as A
from .choices import TaskState as T


@dataclass(frozen=True)
class ArticleAction:
    name: str
    label: str | Promise
    sources: frozenset[str]
    target: str
    style: str = "outline-primary"
    # "agent": any desk person; "manager": knowledge managers; "system": the approval engine only.
    who: str = "agent"


ARTICLE_ACTIONS = (
    ArticleAction("submit", _("Submit for review"), frozenset({A.DRAFT, A.PUBLISHED}), A.REVIEW, "primary"),
    ArticleAction("publish", _("Publish"), frozenset({A.DRAFT, A.REVIEW, A.PUBLISHED}), A.PUBLISHED, "success"),
    ArticleAction("send_back", _("Send back to draft"), frozenset({A.REVIEW}), A.DRAFT, "outline-secondary"),
    ArticleAction("retire", _("Retire"), frozenset({A.PUBLISHED}), A.RETIRED, "outline-danger", who="manager"),
)
ACTIONS_BY_NAME = {action.name: action for action in ARTICLE_ACTIONS}

AGENT_OR_SYSTEM = frozenset({Actor.AGENT, Actor.SYSTEM})

TASK_WORKFLOW = Workflow(
    initial=T.OPEN,
    states=[
        State(T.OPEN, T.OPEN.label, badge="info"),
        State(T.DONE, T.DONE.label, active=False, resolved=True, closed=True, badge="success"),
        State(T.CANCELLED, T.CANCELLED.label, active=False, closed=True, badge="secondary"),
    ],
    transitions=[
        Transition(T.OPEN, T.DONE, _("Mark done"), AGENT_OR_SYSTEM, name="done", style="success"),
        Transition(T.OPEN, T.CANCELLED, _("Cancel"), AGENT_OR_SYSTEM, name="cancel", style="outline-danger"),
    ],
)
