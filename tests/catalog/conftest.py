"""Fixtures for catalog tests: a catalog manager and a maker of published items with questions."""

import pytest

from accounts import roles
from accounts.factories import UserFactory
from catalog import services
from catalog.choices import ItemState
from catalog.choices import QuestionType as T


@pytest.fixture
def manager(db):
    return UserFactory(username="catalog", first_name="Clara", last_name="Yoon", roles=[roles.CATALOG_MANAGER])


@pytest.fixture
def category(manager):
    return services.category_save(actor=manager, name="Hardware", translations={"ko": {"name": "하드웨어"}})


LAPTOP_QUESTIONS = [
    {"key": "model", "type": T.CHOICE, "label": "Model", "required": True, "choices": [
        {"value": "standard", "label": "Standard", "translations": {"ko": "표준"}},
        {"value": "performance", "label": "Performance", "translations": {"ko": "고성능"}}]},
    {"key": "justification", "type": T.LONG_TEXT, "label": "Why?",
     "visible_if": {"question": "model", "op": "equals", "value": "performance"},
     "required_if": {"question": "model", "op": "equals", "value": "performance"}},
    {"key": "count", "type": T.NUMBER, "label": "Screens", "min_value": 1, "max_value": 3},
]


@pytest.fixture
def make_item(manager, category):
    """``make_item(questions=[...], **item fields)``: an active item with its form published."""

    def make(*, questions=LAPTOP_QUESTIONS, publish=True, **fields):
        fields.setdefault("name", "New laptop")
        item = services.item_save(actor=manager, category=fields.pop("category", category), **fields)
        form = services.form_draft(actor=manager, item=item)
        for question in questions:
            services.question_save(actor=manager, form=form, **question)
        if publish:
            services.form_publish(actor=manager, form=form)
            item = services.item_set_state(actor=manager, item=item, state=ItemState.ACTIVE)
        item.refresh_from_db()
        return item

    return make
