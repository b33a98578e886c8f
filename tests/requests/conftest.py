"""Catalog items with approval rules and task templates, built through the models, and the people
who order, approve and fulfil them."""

import pytest

from accounts import roles
from accounts.factories import TeamFactory, UserFactory
from catalog.choices import ApproverSource, FormState, ItemState, QuestionType
from catalog.fulfilment import OrderLine, request_submit
from catalog.models import ApprovalRule, CatalogCategory, CatalogItem, FormVersion, Question, TaskTemplate
from servicedesk.models import ApproverGroup


@pytest.fixture
def manager(db):
    return UserFactory(username="chris", first_name="Chris", last_name="Evans", roles=[roles.REQUESTER])


@pytest.fixture
def employee(db, manager, organisation):
    return UserFactory(username="dana", first_name="Dana", last_name="Yoon", organisation=organisation,
                       manager=manager, roles=[roles.REQUESTER])


@pytest.fixture
def workplace(db, agent):
    return TeamFactory(name="Workplace", members=[agent])


@pytest.fixture
def access_team(db, other_agent):
    return TeamFactory(name="Access", members=[other_agent])


@pytest.fixture
def category(db):
    return CatalogCategory.objects.create(name="Hardware")


def make_item(category, team, name="New laptop", *, questions=(), **fields):
    item = CatalogItem.objects.create(category=category, name=name, state=ItemState.ACTIVE,
                                      fulfilment_team=team, **fields)
    form = FormVersion.objects.create(item=item, number=1, state=FormState.PUBLISHED)  # orderable: a published form
    for position, (key, qtype, extra) in enumerate(questions):
        Question.objects.create(form=form, key=key, position=position, type=qtype, label=key.title(), **extra)
    item.current_form = form
    item.save(update_fields=["current_form"])
    return item


@pytest.fixture
def laptop(category, workplace, access_team):
    """A laptop: the manager approves; prepare (the model in the text), then hand over."""
    item = make_item(category, workplace, max_quantity=2, price=1500, currency="EUR", questions=[
        ("model", QuestionType.CHOICE, {"required": True, "choices": [
            {"value": "x1", "label": "ThinkPad X1"}, {"value": "mac", "label": "MacBook Pro"}]}),
    ])
    ApprovalRule.objects.create(item=item, position=1, name="Manager", source=ApproverSource.MANAGER)
    prepare = TaskTemplate.objects.create(item=item, key="prepare", position=1, name="Prepare laptop",
                                          description="Image a {model}.", team=workplace)
    hand_over = TaskTemplate.objects.create(item=item, key="hand-over", position=2, name="Hand over",
                                            team=access_team)
    hand_over.depends_on.add(prepare)
    return item


@pytest.fixture
def password_reset(category, access_team):
    """Nothing to approve, one task."""
    item = make_item(category, access_team, name="Password reset")
    TaskTemplate.objects.create(item=item, key="reset", position=1, name="Reset password", team=access_team)
    return item


@pytest.fixture
def approver_group(db, lead, other_agent):
    return ApproverGroup.objects.create(name="Budget board", chair=lead)


def order(actor, *lines, requested_for=None):
    return request_submit(actor=actor, lines=[OrderLine(item=i, quantity=q, answers=a) for i, q, a in lines],
                          requested_for=requested_for)

