"""The forms engine re-checks every condition and validation on the server (docs/catalog.md)."""

import base64

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.factories import UserFactory
from catalog import services
from catalog.choices import QuestionType as T
from catalog.forms_engine import clean_answers, condition_errors, describe, evaluate
from cmdb.factories import CIFactory
from cmdb.models import CIClass

PERFORMANCE = {"question": "model", "op": "equals", "value": "performance"}


# --- evaluate -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("condition", "answers", "expected"), [
    (None, {}, True),
    ({}, {"a": 1}, True),
    (PERFORMANCE, {"model": "performance"}, True),
    (PERFORMANCE, {"model": "standard"}, False),
    (PERFORMANCE, {}, False),
    ({"question": "n", "op": "equals", "value": 3}, {"n": 3.0}, True),
    ({"question": "n", "op": "equals", "value": "3"}, {"n": 3}, True),
    ({"question": "ok", "op": "equals", "value": True}, {"ok": True}, True),
    ({"question": "ok", "op": "equals", "value": True}, {"ok": False}, False),
    ({"question": "ok", "op": "equals", "value": False}, {}, False),
    ({"question": "m", "op": "one_of", "value": ["a", "b"]}, {"m": "b"}, True),
    ({"question": "m", "op": "one_of", "value": ["a", "b"]}, {"m": "c"}, False),
    ({"question": "m", "op": "contains", "value": "dock"}, {"m": ["mouse", "dock"]}, True),
    ({"question": "m", "op": "contains", "value": "dock"}, {"m": ["mouse"]}, False),
    ({"question": "t", "op": "contains", "value": "VPN"}, {"t": "need vpn at home"}, True),
    ({"question": "price", "op": "at_least", "value": 1500}, {"price": 1800.0}, True),
    ({"question": "price", "op": "at_least", "value": 1500}, {"price": 1500}, True),
    ({"question": "price", "op": "at_least", "value": 1500}, {"price": 900}, False),
    ({"question": "n", "op": "at_most", "value": "2"}, {"n": 2}, True),
    ({"question": "n", "op": "at_most", "value": 2}, {"n": 3}, False),
    ({"question": "n", "op": "at_most", "value": 2}, {"n": "many"}, False),
    ({"question": "n", "op": "at_most", "value": 2}, {}, False),
    ({"all": [PERFORMANCE, {"question": "n", "op": "equals", "value": 2}]}, {"model": "performance", "n": 2}, True),
    ({"all": [PERFORMANCE, {"question": "n", "op": "equals", "value": 2}]}, {"model": "performance", "n": 1}, False),
    ({"any": [PERFORMANCE, {"question": "n", "op": "equals", "value": 2}]}, {"model": "standard", "n": 2}, True),
    ({"any": [PERFORMANCE, {"all": [{"question": "n", "op": "equals", "value": 2},
                                    {"question": "ok", "op": "equals", "value": True}]}]},
     {"n": 2, "ok": False}, False),
    ({"any": [PERFORMANCE, {"all": [{"question": "n", "op": "equals", "value": 2},
                                    {"question": "ok", "op": "equals", "value": True}]}]},
     {"n": 2, "ok": True}, True),
])
def test_evaluate(condition, answers, expected):
    assert evaluate(condition, answers) is expected


@pytest.mark.parametrize(("condition", "fragment"), [
    ({"question": "nope", "op": "equals", "value": 1}, "Unknown question"),
    ({"question": "model", "op": "is", "value": 1}, "Unknown operator"),
    ({"question": "model", "op": "one_of", "value": "a"}, "one_of"),
    ({"question": "model", "op": "equals", "value": [1]}, "single value"),
    ({"question": "model", "op": "at_least", "value": "lots"}, "takes a number"),
    ({"all": []}, "non-empty list"),
    ({"all": [PERFORMANCE], "any": [PERFORMANCE]}, "non-empty list"),
    ({"question": "model"}, "names"),
    ("model", "is an object"),
    ({"all": [{"all": [{"all": [{"all": [{"all": [PERFORMANCE]}]}]}]}]}, "nest"),
])
def test_condition_errors(condition, fragment):
    errors = condition_errors(condition, {"model"})
    assert errors and fragment in " ".join(errors)


def test_valid_condition_has_no_errors():
    assert condition_errors({"any": [PERFORMANCE, {"question": "model", "op": "one_of", "value": ["a"]}]},
                            {"model"}) == []


def test_describe_in_words():
    text = describe({"any": [PERFORMANCE, {"question": "n", "op": "one_of", "value": [1, 2]}]},
                    {"model": "Model", "n": "Screens"})
    assert "“Model” is performance" in text and " or " in text and "“Screens” is one of 1, 2" in text
    assert describe({"question": "n", "op": "at_least", "value": 3}, {"n": "Screens"}) == "“Screens” is 3 or more"


# --- clean_answers --------------------------------------------------------------------------------

def _form(make_item, questions):
    return make_item(questions=questions).current_form


def test_hidden_required_question_does_not_block(make_item, requester):
    form = make_item().current_form
    cleaned = clean_answers(form, {"model": "standard"}, user=requester)
    assert cleaned.answers == {"model": "standard"}


def test_visible_required_question_blocks(make_item, requester):
    form = make_item().current_form
    with pytest.raises(ValidationError) as caught:
        clean_answers(form, {"model": "performance"}, user=requester)
    assert set(caught.value.message_dict) == {"justification"}
    cleaned = clean_answers(form, {"model": "performance", "justification": "3D work"}, user=requester)
    assert cleaned.answers["justification"] == "3D work"


def test_forged_answer_to_hidden_question_is_dropped(make_item, requester):
    form = make_item().current_form
    cleaned = clean_answers(form, {"model": "standard", "justification": "forged", "unknown": "x"}, user=requester)
    assert cleaned.answers == {"model": "standard"}
    assert [row["key"] for row in cleaned.snapshot] == ["model", "count"]


def test_question_shown_only_through_a_hidden_one_is_hidden_too(make_item, requester):
    form = _form(make_item, [
        {"key": "a", "type": T.YES_NO, "label": "A"},
        {"key": "b", "type": T.SHORT_TEXT, "label": "B", "visible_if": {"question": "a", "op": "equals", "value": True}},
        {"key": "c", "type": T.SHORT_TEXT, "label": "C", "required": True,
         "visible_if": {"question": "b", "op": "equals", "value": "x"}},
    ])
    cleaned = clean_answers(form, {"a": False, "b": "x", "c": "forged"}, user=requester)
    assert cleaned.answers == {"a": False}
    with pytest.raises(ValidationError) as caught:
        clean_answers(form, {"a": True, "b": "x"}, user=requester)
    assert set(caught.value.message_dict) == {"c"}


def test_required_missing_choice_and_range(make_item, requester):
    form = make_item().current_form
    with pytest.raises(ValidationError) as caught:
        clean_answers(form, {"count": 4}, user=requester)
    errors = caught.value.message_dict
    assert set(errors) == {"model", "count"}
    assert "3 or less" in errors["count"][0]
    with pytest.raises(ValidationError) as caught:
        clean_answers(form, {"model": "gold", "count": "many"}, user=requester)
    assert set(caught.value.message_dict) == {"model", "count"}


def test_pattern_types_and_defaults(make_item, requester):
    form = _form(make_item, [
        {"key": "code", "type": T.SHORT_TEXT, "label": "Code", "pattern": r"[A-Z]{2}-\d{4}",
         "pattern_message": "Like AB-1234."},
        {"key": "when", "type": T.DATE, "label": "When"},
        {"key": "extras", "type": T.MULTI_CHOICE, "label": "Extras", "choices": [
            {"value": "mouse", "label": "Mouse"}, {"value": "dock", "label": "Dock"}]},
        {"key": "ok", "type": T.YES_NO, "label": "OK?", "default": True},
    ])
    with pytest.raises(ValidationError) as caught:
        clean_answers(form, {"code": "ab-12", "when": "31/01/2026", "extras": ["mouse", "cat"]}, user=requester)
    errors = caught.value.message_dict
    assert errors["code"] == ["Like AB-1234."] and set(errors) == {"code", "when", "extras"}
    cleaned = clean_answers(form, {"code": "AB-1234", "when": "2026-01-31", "extras": ["dock", "mouse"]},
                            user=requester)
    assert cleaned.answers == {"code": "AB-1234", "when": "2026-01-31", "extras": ["mouse", "dock"], "ok": True}
    assert {row["key"]: row["display"] for row in cleaned.snapshot}["extras"] == "Mouse, Dock"


def test_person_must_be_active(make_item, requester):
    form = _form(make_item, [{"key": "owner", "type": T.PERSON, "label": "Owner", "required": True}])
    gone = UserFactory(username="gone", is_active=False)
    with pytest.raises(ValidationError):
        clean_answers(form, {"owner": gone.pk}, user=requester)
    with pytest.raises(ValidationError):
        clean_answers(form, {"owner": "1.5"}, user=requester)
    cleaned = clean_answers(form, {"owner": str(requester.pk)}, user=requester)
    assert cleaned.answers == {"owner": requester.pk}
    assert cleaned.snapshot[0]["display"] == requester.display_name


def test_ci_answer_filtered_by_class(make_item, requester):
    application = CIClass.objects.get(slug="application")
    other = CIClass.objects.exclude(pk=application.pk).first()
    app = CIFactory(name="ERP", ci_class=application)
    server = CIFactory(name="srv-01", ci_class=other)
    form = _form(make_item, [{"key": "system", "type": T.CI, "label": "System", "ci_class": application}])
    with pytest.raises(ValidationError):
        clean_answers(form, {"system": server.pk}, user=requester)
    cleaned = clean_answers(form, {"system": app.pk}, user=requester)
    assert cleaned.answers == {"system": app.pk} and cleaned.snapshot[0]["display"] == "ERP"


def test_attachment_from_a_page_and_from_the_api(make_item, requester, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    form = _form(make_item, [{"key": "quote", "type": T.ATTACHMENT, "label": "Quote", "required": True}])
    upload = SimpleUploadedFile("quote.pdf", b"%PDF-1.4 quote")
    cleaned = clean_answers(form, {}, user=requester, files={"quote": upload})
    assert cleaned.answers == {"quote": "quote.pdf"} and cleaned.files == {"quote": upload}

    encoded = {"name": "quote.pdf", "content": base64.b64encode(b"%PDF-1.4 api").decode()}
    cleaned = clean_answers(form, {"quote": encoded}, user=requester)
    assert cleaned.files["quote"].read() == b"%PDF-1.4 api"

    for bad in ({"name": "quote.pdf", "content": "not base64!"}, {"name": "x.exe", "content": "QUJD"},
                {"name": "big.pdf", "content": base64.b64encode(b"x" * 2048).decode()}, "just text"):
        with pytest.raises(ValidationError) as caught:
            clean_answers(form, {"quote": bad}, user=requester)
        assert set(caught.value.message_dict) == {"quote"}
    with pytest.raises(ValidationError):
        clean_answers(form, {}, user=requester)


def test_answers_must_be_an_object(make_item, requester):
    with pytest.raises(ValidationError) as caught:
        clean_answers(make_item().current_form, ["model"], user=requester)
    assert "answers" in caught.value.message_dict


def test_snapshot_keeps_the_form_as_ordered(make_item, manager, requester):
    """Editing the item later (a new version) never changes an existing snapshot."""
    item = make_item()
    v1 = item.current_form
    cleaned = clean_answers(v1, {"model": "performance", "justification": "CAD"}, user=requester)
    before = [dict(row) for row in cleaned.snapshot]
    draft = services.form_draft(actor=manager, item=item)
    question = draft.questions.get(key="model")
    services.question_save(actor=manager, form=draft, question=question, label="Laptop model", choices=[
        {"value": "standard", "label": "Standard"}, {"value": "ultra", "label": "Ultra"}])
    services.form_publish(actor=manager, form=draft)
    v1.refresh_from_db()
    assert v1.questions.get(key="model").label == "Model"  # the published version did not change
    assert cleaned.snapshot == before
    assert before[0] == {"key": "model", "type": "choice", "label": "Model", "translations": {},
                         "answer": "performance", "display": "Performance"}
    with pytest.raises(ValidationError):
        clean_answers(item.form_versions.get(number=2), {"model": "performance"}, user=requester)
