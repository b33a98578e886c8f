"""Catalog services: permissions, versioned forms, questions, task dependencies, approval rules."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from catalog import services
from catalog.choices import ApproverSource, FormState, ItemState
from catalog.choices import QuestionType as T
from esm.errors import DomainError, NotPermitted
from servicedesk.models import ApproverGroup


def test_only_catalog_managers_write(agent, requester, category):
    for person in (agent, requester):
        with pytest.raises(NotPermitted):
            services.category_save(actor=person, name="Mine")
        with pytest.raises(NotPermitted):
            services.item_save(actor=person, category=category, name="Mine")


def test_new_item_is_a_draft_with_a_draft_form(manager, category):
    item = services.item_save(actor=manager, category=category, name="  Monitor  ")
    assert item.name == "Monitor" and item.state == ItemState.DRAFT and item.current_form is None
    assert list(item.form_versions.values_list("number", "state")) == [(1, FormState.DRAFT)]
    with pytest.raises(DomainError) as caught:
        services.item_set_state(actor=manager, item=item, state=ItemState.ACTIVE)
    assert caught.value.code == "form_not_published"


@pytest.mark.parametrize(("fields", "field"), [
    ({"name": " "}, "name"),
    ({"price": Decimal("10.00")}, "currency"),
    ({"price": Decimal("-1"), "currency": "EUR"}, "price"),
    ({"max_quantity": 0}, "max_quantity"),
    ({"audience": "restricted"}, "audience"),
    ({"translations": {"fr": {"name": "Portable"}}}, "translations"),
    ({"translations": {"ko": {"colour": "x"}}}, "translations"),
])
def test_item_validation(manager, category, fields, field):
    fields = {"name": "Monitor", **fields}
    with pytest.raises(ValidationError) as caught:
        services.item_save(actor=manager, category=category, **fields)
    assert field in caught.value.message_dict


def test_restricted_item_needs_an_organisation_or_group(manager, category, organisation):
    item = services.item_save(actor=manager, category=category, name="ERP licence", audience="restricted",
                              organisations=[organisation])
    assert list(item.organisations.all()) == [organisation]
    with pytest.raises(ValidationError):
        services.item_save(actor=manager, item=item, organisations=[])


def test_category_cannot_sit_inside_itself(manager, category):
    child = services.category_save(actor=manager, name="Laptops", parent=category)
    with pytest.raises(ValidationError) as caught:
        services.category_save(actor=manager, category=category, parent=child)
    assert "parent" in caught.value.message_dict


def test_published_form_never_changes(make_item, manager):
    item = make_item()
    published = item.current_form
    question = published.questions.get(key="model")
    with pytest.raises(DomainError) as caught:
        services.question_save(actor=manager, form=published, question=question, label="Changed")
    assert caught.value.code == "form_not_draft"
    with pytest.raises(DomainError):
        services.question_delete(actor=manager, question=question)
    assert published.questions.get(key="model").label == "Model"


def test_draft_copies_then_publish_supersedes(make_item, manager):
    item = make_item()
    v1 = item.current_form
    draft = services.form_draft(actor=manager, item=item)
    assert services.form_draft(actor=manager, item=item) == draft  # one draft at a time
    assert draft.number == 2
    assert list(draft.questions.values_list("key", flat=True)) == ["model", "justification", "count"]
    services.question_save(actor=manager, form=draft, key="colour", type=T.SHORT_TEXT, label="Colour")
    services.form_publish(actor=manager, form=draft)
    item.refresh_from_db()
    v1.refresh_from_db()
    assert item.current_form == draft and v1.state == FormState.SUPERSEDED
    assert v1.questions.count() == 3 and draft.questions.count() == 4


def test_discarding_a_draft_keeps_the_published_version(make_item, manager):
    item = make_item()
    draft = services.form_draft(actor=manager, item=item)
    services.form_discard(actor=manager, form=draft)
    item.refresh_from_db()
    assert item.current_form.state == FormState.PUBLISHED
    assert not item.form_versions.filter(state=FormState.DRAFT).exists()


@pytest.mark.parametrize(("fields", "field"), [
    ({"key": "Bad Key"}, "key"),
    ({"key": "model"}, "key"),
    ({"type": "colour"}, "type"),
    ({"type": T.CHOICE}, "choices"),
    ({"type": T.CHOICE, "choices": [{"value": "a"}, {"value": "a"}]}, "choices"),
    ({"min_value": 1}, "min_value"),
    ({"type": T.NUMBER, "min_value": 5, "max_value": 1}, "max_value"),
    ({"pattern": "(["}, "pattern"),
    ({"visible_if": {"question": "ghost", "op": "equals", "value": 1}}, "visible_if"),
    ({"required_if": {"question": "model", "op": "maybe", "value": 1}}, "required_if"),
    ({"type": T.NUMBER, "default": "lots"}, "default"),
    # Badly shaped conditions and patterns are field errors, not crashes.
    ({"visible_if": "x"}, "visible_if"),
    ({"visible_if": [1]}, "visible_if"),
    ({"visible_if": {"all": 5}}, "visible_if"),
    ({"visible_if": {"question": ["model"], "op": "equals", "value": 1}}, "visible_if"),
    ({"required_if": {"question": {"k": 1}, "op": "equals", "value": 1}}, "required_if"),
    ({"pattern": "(", "default": "x"}, "pattern"),
])
def test_question_validation(make_item, manager, fields, field):
    draft = services.form_draft(actor=manager, item=make_item())
    fields = {"key": "extra", "type": T.SHORT_TEXT, "label": "Extra", **fields}
    with pytest.raises(ValidationError) as caught:
        services.question_save(actor=manager, form=draft, **fields)
    assert field in caught.value.message_dict


def test_question_others_depend_on_cannot_be_deleted_and_moves(make_item, manager):
    draft = services.form_draft(actor=manager, item=make_item())
    model = draft.questions.get(key="model")
    with pytest.raises(DomainError) as caught:
        services.question_delete(actor=manager, question=model)
    assert caught.value.code == "question_in_use"
    services.question_move(actor=manager, question=draft.questions.get(key="count"), offset=-5)
    assert list(draft.questions.values_list("key", flat=True)) == ["count", "model", "justification"]


def test_task_dependencies_refuse_cycles(make_item, manager, team):
    item = make_item()
    accounts = services.task_template_save(actor=manager, item=item, key="accounts", name="Accounts", team=team)
    laptop = services.task_template_save(actor=manager, item=item, key="laptop", name="Laptop",
                                         depends_on=[accounts])
    desk = services.task_template_save(actor=manager, item=item, key="desk", name="Desk", depends_on=[laptop])
    with pytest.raises(ValidationError) as caught:
        services.task_template_save(actor=manager, item=item, template=accounts, depends_on=[desk])
    assert "depends_on" in caught.value.message_dict
    with pytest.raises(ValidationError):
        services.task_template_save(actor=manager, item=item, template=accounts, depends_on=[accounts])
    other = make_item(name="Other")
    foreign = services.task_template_save(actor=manager, item=other, key="x", name="X")
    with pytest.raises(ValidationError):
        services.task_template_save(actor=manager, item=item, template=desk, depends_on=[foreign])
    assert list(accounts.depends_on.all()) == []


def test_task_condition_names_answers(make_item, manager):
    item = make_item()
    with pytest.raises(ValidationError) as caught:
        services.task_template_save(actor=manager, item=item, key="x", name="X",
                                    condition={"question": "ghost", "op": "equals", "value": 1})
    assert "condition" in caught.value.message_dict
    services.task_template_save(actor=manager, item=item, key="x", name="X",
                                condition={"question": "model", "op": "equals", "value": "performance"})


def test_approval_rule_validation(make_item, manager, agent):
    item = make_item()
    group = ApproverGroup.objects.create(name="Budget board")
    cases = [
        ({"source": ApproverSource.GROUP}, "group"),
        ({"source": ApproverSource.PEOPLE}, "people"),
        ({"source": ApproverSource.ANSWER, "answer_key": "model"}, "answer_key"),
        ({"source": ApproverSource.MANAGER, "policy": "quorum"}, "threshold"),
        ({"source": ApproverSource.MANAGER, "timeout_action": "reject"}, "timeout_hours"),
        ({"source": ApproverSource.MANAGER, "timeout_action": "escalate", "timeout_hours": 4}, "escalate_to"),
    ]
    for fields, field in cases:
        with pytest.raises(ValidationError) as caught:
            services.approval_rule_save(actor=manager, item=item, name="Step", **fields)
        assert field in caught.value.message_dict, fields
    rule = services.approval_rule_save(actor=manager, item=item, name="Budget", source=ApproverSource.GROUP,
                                       group=group, condition={"question": "price", "op": "one_of", "value": [1]})
    assert rule.group == group and rule.position == 1
    named = services.approval_rule_save(actor=manager, item=item, name="Named", source=ApproverSource.PEOPLE,
                                        people=[agent])
    assert list(named.people.all()) == [agent] and named.position == 2


def test_publish_refuses_an_approver_answer_the_form_lost(make_item, manager):
    item = make_item(questions=[{"key": "owner", "type": T.PERSON, "label": "Owner", "required": True}])
    services.approval_rule_save(actor=manager, item=item, name="Owner", source=ApproverSource.ANSWER,
                                answer_key="owner")
    draft = services.form_draft(actor=manager, item=item)
    services.question_save(actor=manager, form=draft, question=draft.questions.get(key="owner"), type=T.SHORT_TEXT)
    with pytest.raises(ValidationError) as caught:
        services.form_publish(actor=manager, form=draft)
    assert "owner" in " ".join(caught.value.message_dict["form"])
