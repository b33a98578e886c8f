"""Catalog forms: conditions on answers, validation, and the snapshot an order keeps.

The server re-checks every condition and validation whatever the browser showed: a question that
is hidden by its ``visible_if`` is neither required nor kept (a forged answer to it is dropped).

Conditions (``Question.visible_if`` / ``required_if``, ``TaskTemplate.condition``,
``ApprovalRule.condition``)::

    {"question": "model", "op": "equals" | "one_of" | "contains" | "at_least" | "at_most", "value": …}
    {"all": [condition, …]}      every one holds (AND)
    {"any": [condition, …]}      at least one holds (OR)

nestable up to ``MAX_DEPTH`` levels. ``equals`` compares the answer with the value (numbers as
numbers, yes/no as true/false); ``one_of`` holds when the answer equals one of a list; ``contains``
holds when a multiple-choice answer includes the value, or a text contains it (ignoring case);
``at_least`` / ``at_most`` compare numbers (an approval rule's ``price``, the order's total, too).
An unanswered or hidden question never equals anything.

Answers are JSON values: text and dates (``YYYY-MM-DD``) as strings, numbers as numbers,
choices by their ``value`` (a list for multiple choice), yes/no as ``true``/``false``, a person
or a CI by id, an attachment as an uploaded file (pages) or ``{"name": "…", "content": "<base64>"}``
(API); both become ``CleanedAnswers.files`` and the answer keeps the file name.
"""

import base64
import binascii
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .choices import QuestionType as T

MAX_DEPTH = 5
MAX_TEXT = {T.SHORT_TEXT: 500, T.LONG_TEXT: 10_000}
OPS = ("equals", "one_of", "contains", "at_least", "at_most")
NUMBER_OPS = ("at_least", "at_most")
# Stored in the snapshot as English message ids; shown through gettext in the reader's language.
YES, NO = gettext_noop("Yes"), gettext_noop("No")


@dataclass
class CleanedAnswers:
    answers: dict  # question key -> JSON value, visible questions only
    snapshot: list  # [{"key", "type", "label", "answer", "display"}] in form order
    files: dict = field(default_factory=dict)  # question key -> uploaded file, for attachment questions


# --- Conditions -----------------------------------------------------------------------------------


def _same(answer, value) -> bool:
    if answer is None or answer == "" or answer == []:
        return False
    if isinstance(answer, bool) or isinstance(value, bool):
        return _as_bool(answer) is not None and _as_bool(answer) == _as_bool(value)
    try:
        return Decimal(str(answer)) == Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(answer) == str(value)


def _number(value) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _compare(op: str, answer, value) -> bool:
    answer, value = _number(answer), _number(value)
    if answer is None or value is None:
        return False
    return answer >= value if op == "at_least" else answer <= value


def _as_bool(value):
    if isinstance(value, bool):
        return value
    return {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}.get(str(value).lower())


def evaluate(condition, answers: dict) -> bool:
    """Whether ``condition`` (the grammar of ``Question.visible_if``) holds for ``answers``.

    No condition (``None`` or ``{}``) always holds.
    """
    if not condition:
        return True
    if "all" in condition:
        return all(evaluate(part, answers) for part in condition["all"])
    if "any" in condition:
        return any(evaluate(part, answers) for part in condition["any"])
    answer, value, op = answers.get(condition.get("question")), condition.get("value"), condition.get("op")
    if op == "equals":
        return _same(answer, value)
    if op == "one_of":
        return any(_same(answer, option) for option in (value or []))
    if op == "contains":
        if isinstance(answer, list):
            return any(_same(item, value) for item in answer)
        return bool(answer) and str(value).lower() in str(answer).lower()
    if op in NUMBER_OPS:
        return _compare(op, answer, value)
    return False


def condition_errors(condition, known_keys, *, depth: int = 1) -> list[str]:
    """Why ``condition`` is not a valid condition over questions ``known_keys`` (empty: it is)."""
    if condition in (None, {}):
        return []
    if depth > MAX_DEPTH:
        return [_("Conditions nest at most %(n)s levels deep.") % {"n": MAX_DEPTH}]
    if not isinstance(condition, dict):
        return [_("A condition is an object.")]
    for group in ("all", "any"):
        if group in condition:
            parts = condition[group]
            if set(condition) != {group} or not isinstance(parts, list) or not parts:
                return [_("\"%(group)s\" takes a non-empty list of conditions and nothing else.") % {"group": group}]
            return [error for part in parts for error in condition_errors(part, known_keys, depth=depth + 1)]
    if set(condition) != {"question", "op", "value"}:
        return [_("A condition names \"question\", \"op\" and \"value\", or groups conditions in \"all\" or "
                  "\"any\".")]
    errors = []
    if not isinstance(condition["question"], str) or condition["question"] not in known_keys:
        errors.append(_("Unknown question: %(key)s.") % {"key": condition["question"]})
    if condition["op"] not in OPS:
        errors.append(_("Unknown operator %(op)s: use equals, one_of, contains, at_least or at_most.")
                      % {"op": condition["op"]})
    elif condition["op"] == "one_of" and not isinstance(condition["value"], list):
        errors.append(_("\"one_of\" takes a list of values."))
    elif condition["op"] in NUMBER_OPS and _number(condition["value"]) is None:
        errors.append(_("\"%(op)s\" takes a number.") % {"op": condition["op"]})
    elif condition["op"] != "one_of" and isinstance(condition["value"], (list, dict)):
        errors.append(_("\"%(op)s\" takes a single value.") % {"op": condition["op"]})
    return errors


def condition_keys(condition) -> set[str]:
    """The question keys ``condition`` reads."""
    if not condition or not isinstance(condition, dict):
        return set()
    if "all" in condition or "any" in condition:
        parts = condition.get("all", condition.get("any", []))
        return {key for part in parts for key in condition_keys(part)} if isinstance(parts, list) else set()
    key = condition.get("question")
    return {key} if isinstance(key, str) else set()


def describe(condition, labels: dict, options: dict | None = None) -> str:
    """``condition`` in words for people ("only if …" hints): ``labels`` maps keys to labels,
    ``options`` keys to ``{value: label}`` of their choices."""
    if not condition:
        return ""
    options = options or {}
    for group, joiner in (("all", _(" and ")), ("any", _(" or "))):
        if group in condition:
            parts = [describe(part, labels, options) for part in condition[group]]
            return joiner.join(f"({part})" if len(condition[group]) > 1 and " " in part else part for part in parts)
    key = condition.get("question")
    label, named = labels.get(key, key), options.get(key, {})

    def word(value) -> str:
        return named.get(str(value)) or _display_bool(value)

    value = condition.get("value")
    if condition.get("op") == "one_of":
        values = _(", ").join(word(v) for v in value or [])
        return _("“%(question)s” is one of %(values)s") % {"question": label, "values": values}
    if condition.get("op") == "contains":
        return _("“%(question)s” includes %(value)s") % {"question": label, "value": word(value)}
    if condition.get("op") == "at_least":
        return _("“%(question)s” is %(value)s or more") % {"question": label, "value": word(value)}
    if condition.get("op") == "at_most":
        return _("“%(question)s” is %(value)s or less") % {"question": label, "value": word(value)}
    return _("“%(question)s” is %(value)s") % {"question": label, "value": word(value)}


def _display_bool(value) -> str:
    if isinstance(value, bool):
        return _(YES) if value else _(NO)
    return str(value)


# --- Answers --------------------------------------------------------------------------------------


def _empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


class _Answer:
    """Parses and checks one question's raw answer; ``clean`` returns (value, display, file)."""

    def __init__(self, question, *, user):
        self.q, self.user = question, user

    def clean(self, raw, upload):
        if self.q.type == T.ATTACHMENT:
            return self._attachment(raw, upload)
        if _empty(raw):
            return None, "", None
        handler = getattr(self, f"_{self.q.type}")
        value, display = handler(raw)
        return value, display, None

    def _text(self, raw):
        if not isinstance(raw, (str, int, float)) or isinstance(raw, bool):
            raise ValidationError(_("Enter text."))
        value = str(raw).strip()
        if self.q.type == T.SHORT_TEXT:
            value = " ".join(value.split())
        if len(value) > MAX_TEXT[self.q.type]:
            raise ValidationError(_("Keep it under %(n)s characters.") % {"n": MAX_TEXT[self.q.type]})
        if value and self.q.pattern and not re.fullmatch(self.q.pattern, value):
            raise ValidationError(self.q.pattern_message or _("This answer is not in the expected format."))
        return value, value

    _short_text = _long_text = _text

    def _number(self, raw):
        if isinstance(raw, bool):
            raise ValidationError(_("Enter a number."))
        try:
            number = Decimal(str(raw).strip())
        except (InvalidOperation, ValueError):
            raise ValidationError(_("Enter a number.")) from None
        if not number.is_finite() or abs(number) >= Decimal(10) ** 10:
            raise ValidationError(_("Enter a number."))
        if self.q.min_value is not None and number < self.q.min_value:
            raise ValidationError(_("Enter %(n)s or more.") % {"n": _plain(self.q.min_value)})
        if self.q.max_value is not None and number > self.q.max_value:
            raise ValidationError(_("Enter %(n)s or less.") % {"n": _plain(self.q.max_value)})
        value = int(number) if number == number.to_integral_value() else float(number)
        return value, _plain(number)

    def _date(self, raw):
        try:
            value = date.fromisoformat(str(raw).strip())
        except ValueError:
            raise ValidationError(_("Enter a date as YYYY-MM-DD.")) from None
        return value.isoformat(), value.isoformat()

    def _choice_map(self):
        return {str(c["value"]): c for c in self.q.choices or []}

    def _choice(self, raw):
        choice = self._choice_map().get(str(raw))
        if choice is None:
            raise ValidationError(_("Choose one of the options."))
        return choice["value"], choice.get("label", "")

    def _multi_choice(self, raw):
        raw = raw if isinstance(raw, list) else [raw]
        options = self._choice_map()
        chosen = [options.get(str(v)) for v in raw]
        if any(c is None for c in chosen):
            raise ValidationError(_("Choose among the options."))
        # Form order, each once.
        keep = {str(c["value"]) for c in chosen}
        chosen = [c for c in self.q.choices if str(c["value"]) in keep]
        return [c["value"] for c in chosen], ", ".join(c.get("label", "") for c in chosen)

    def _yes_no(self, raw):
        value = _as_bool(raw)
        if value is None:
            raise ValidationError(_("Answer yes or no."))
        return value, YES if value else NO

    def _person(self, raw):
        from accounts.models import User

        person = _by_id(User.objects.filter(is_active=True), raw)
        if person is None:
            raise ValidationError(_("Choose an active person."))
        return person.pk, person.display_name

    def _ci(self, raw):
        from cmdb.models import ConfigurationItem

        cis = ConfigurationItem.objects.operational()
        if self.q.ci_class_id:
            cis = cis.filter(ci_class_id=self.q.ci_class_id)
        ci = _by_id(cis, raw)
        if ci is None:
            raise ValidationError(_("Choose a configuration item from the list."))
        return ci.pk, ci.name

    def _attachment(self, raw, upload):
        from servicedesk.services import attachment_check

        if upload is None and isinstance(raw, dict) and raw:
            upload = decode_file(raw)
        elif upload is None and not _empty(raw):
            raise ValidationError(_("Attach a file."))
        if upload is None:
            return None, "", None
        try:
            name = attachment_check(upload)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["file"]) from None
        return name, name, upload


def decode_file(raw: dict):
    """An API attachment ``{"name": "…", "content": "<base64>"}`` as an uploaded file."""
    name, content = raw.get("name"), raw.get("content")
    if not isinstance(name, str) or not isinstance(content, str):
        raise ValidationError(_("Send the file as {\"name\": …, \"content\": base64}."))
    # Refuse before decoding: base64 is a third larger than the file.
    if len(content) > settings.ATTACHMENT_MAX_BYTES * 4 // 3 + 4:
        raise ValidationError(_("The file is larger than %(mb)s MB.")
                              % {"mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)})
    try:
        data = base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(_("The file's content is not valid base64.")) from None
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def _by_id(queryset, raw):
    text = str(raw).strip()
    if isinstance(raw, bool) or not text.isascii() or not text.isdigit() or not 0 < int(text) < 2**63:
        return None
    return queryset.filter(pk=int(text)).first()


def _plain(number) -> str:
    text = format(Decimal(str(number)).normalize(), "f")
    return text


def questions_of(form_version) -> list:
    cached = getattr(form_version, "_prefetched_objects_cache", {}).get("questions")
    return list(cached) if cached is not None else list(form_version.questions.select_related("ci_class"))


def visible_keys(questions, answers: dict) -> set[str]:
    """Keys of the questions shown for ``answers``: an answer to a hidden question does not count
    (a question shown only because of a hidden one's answer is hidden too)."""
    current = dict(answers)
    for _round in range(len(questions) + 1):
        shown = {q.key for q in questions if evaluate(q.visible_if, current)}
        narrowed = {key: value for key, value in current.items() if key in shown}
        if narrowed == current:
            return shown
        current = narrowed
    return shown


def clean_answers(form_version, raw: dict, *, user, files=None) -> CleanedAnswers:
    """Validate ``raw`` answers against ``form_version``; ``ValidationError({key: [messages]})``.

    A key missing from ``raw`` takes the question's default; answers to unknown or hidden questions
    are dropped; required (or ``required_if``) applies only to visible questions.
    """
    if not isinstance(raw, dict):
        raise ValidationError({"answers": [_("Send the answers as an object of question keys.")]})
    files = files or {}
    questions = questions_of(form_version)
    parsed, displays, uploads, errors = {}, {}, {}, {}
    for q in questions:
        value = raw.get(q.key, None if q.key in files else q.default)
        try:
            parsed[q.key], displays[q.key], upload = _Answer(q, user=user).clean(value, files.get(q.key))
        except ValidationError as exc:
            errors[q.key] = exc.messages
            parsed[q.key] = None
            continue
        if upload is not None:
            uploads[q.key] = upload
    known = {key: value for key, value in parsed.items() if not _empty(value)}
    shown = visible_keys(questions, known)
    answers = {key: value for key, value in known.items() if key in shown}
    errors = {key: messages for key, messages in errors.items() if key in shown}
    for q in questions:
        needed = q.required or (q.required_if and evaluate(q.required_if, answers))
        if q.key in shown and needed and q.key not in answers and q.key not in errors:
            errors[q.key] = [_("Please answer this question.")]
    if errors:
        raise ValidationError(errors)
    snapshot = [
        {"key": q.key, "type": q.type, "label": q.label, "translations": q.translations or {},
         "answer": answers.get(q.key), "display": displays.get(q.key, "") if q.key in answers else ""}
        for q in questions if q.key in shown
    ]
    return CleanedAnswers(answers=answers, snapshot=snapshot,
                          files={key: upload for key, upload in uploads.items() if key in answers})
