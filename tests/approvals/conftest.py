"""A process that exists only in these tests ("purchases"), with approval hooks, and its people.

The engine must not know about changes: purchases are requested, authorised by an approval and
then ordered or refused, and their requester and buyer (the assignee) may not approve them.
"""

import pytest
from django.db import transaction
from django.urls import clear_url_caches
from django.utils.translation import gettext_lazy as _

from accounts import roles
from accounts.factories import UserFactory
from servicedesk import registry
from servicedesk import services as desk
from servicedesk.models import ApproverGroup
from servicedesk.workflow import Actor, State, Transition, Workflow

SYSTEM = frozenset({Actor.AGENT, Actor.SYSTEM})
PURCHASE_WORKFLOW = Workflow(
    initial="authorization",
    states=[State("authorization", _("Authorization"), badge="info"),
            State("ordered", _("Ordered"), badge="primary"),
            State("refused", _("Refused"), active=False, closed=True, badge="secondary")],
    transitions=[Transition("authorization", "ordered", "Order", frozenset({Actor.SYSTEM})),
                 Transition("authorization", "refused", "Refuse", frozenset({Actor.SYSTEM}))],
)
HOOK_CALLS = []


def purchase_excluded(ticket):
    return {ticket.requester_id, ticket.assignee_id}


def purchase_decided(ticket, outcome, actor):
    from django.db import connection

    HOOK_CALLS.append((ticket.number, outcome, actor.pk if actor else None, connection.in_atomic_block))
    desk.ticket_change_state(ticket=ticket, workflow=PURCHASE_WORKFLOW,
                             target="ordered" if outcome == "approved" else "refused",
                             actor=actor, roles={Actor.SYSTEM})


PURCHASE = registry.Process(
    kind="purchase", label="Purchase", label_plural="Purchases", number_prefix="PUR",
    workflow=PURCHASE_WORKFLOW, desk_url="purchase-desk", api_url="purchase-detail",
    approval_excluded=purchase_excluded, approval_decided=purchase_decided,
)


@pytest.fixture
def purchases(settings, db):
    settings.ROOT_URLCONF = "tests.approvals.urls"
    clear_url_caches()
    registry.register(PURCHASE)
    HOOK_CALLS.clear()
    yield HOOK_CALLS
    registry.unregister(PURCHASE.kind)
    clear_url_caches()


@pytest.fixture
def buyer(db):
    return UserFactory(username="buyer", first_name="Bora", last_name="Yoon", roles=[roles.AGENT])


@pytest.fixture
def cab(db):
    """Three CAB members; the chair is one of them."""
    people = [UserFactory(username=f"cab{i}", first_name=f"Cab{i}", last_name="Member", roles=[roles.CAB_MEMBER])
              for i in range(1, 4)]
    group = ApproverGroup.objects.create(name="CAB", chair=people[0])
    group.members.add(*people)
    return group


@pytest.fixture
def members(cab):
    return list(cab.members.order_by("username"))


@pytest.fixture
def purchase(purchases, agent, requester, team, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        return desk.ticket_create(kind="purchase", workflow=PURCHASE_WORKFLOW, actor=agent, requester=requester,
                                  title="Two monitors", description="For the new analysts", priority=3,
                                  team=team, assignee=agent)


@pytest.fixture
def make_purchase(purchases, agent, requester, team):
    def make(title="A purchase"):
        return desk.ticket_create(kind="purchase", workflow=PURCHASE_WORKFLOW, actor=agent, requester=requester,
                                  title=title, priority=3, team=team, assignee=agent)
    return make
