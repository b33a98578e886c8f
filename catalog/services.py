"""Every write to the service catalog (docs/architecture.md, rule 1): categories, items, their
versioned forms and questions, task templates and approval rules.

The console editor, the API, the admin and the demo data call these functions; each needs
``catalog.manage_catalog`` (``NotPermitted``, 403 otherwise). Published form versions never
change: questions are edited on the item's one draft version (``form_draft`` copies the published
one), and ``form_publish`` makes the draft the item's current form and supersedes the previous
one, so an order keeps the version it was made with (docs/catalog.md).
"""

import re

from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import can_manage_catalog
from esm.errors import DomainError, NotPermitted
from esm.services import service

from . import forms_engine
from .choices import ApproverSource, Audience, FormState, ItemState, QuestionType, TimeoutAction
from .localize import TRANSLATABLE, clean_translations
from .models import ApprovalRule, CatalogCategory, CatalogItem, FormVersion, Question, TaskTemplate

CHOICE_TYPES = (QuestionType.CHOICE, QuestionType.MULTI_CHOICE)
MAX_CHOICES = 100
MAX_QUESTIONS = 100
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,59}$")


def _require_manager(actor) -> None:
    if not can_manage_catalog(actor):
        raise NotPermitted(_("Only catalog managers can edit the service catalog."))


def _refuse_unknown(fields: dict, allowed: set[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})


def _translations(value, kind: str) -> dict:
    try:
        return clean_translations(value, TRANSLATABLE[kind])
    except ValidationError as exc:
        raise ValidationError({"translations": exc.messages}) from None


def _required_text(obj, names, errors: dict) -> None:
    for name in names:
        value = " ".join(str(getattr(obj, name) or "").split())
        setattr(obj, name, value)
        if not value:
            errors[name] = _("This field is required.")


# --- Categories ---------------------------------------------------------------------------------

CATEGORY_FIELDS = {"name", "description", "icon", "parent", "position", "active", "translations"}


@service
def category_save(*, actor: User, category: CatalogCategory | None = None, **fields) -> CatalogCategory:
    """Create or edit a category; a parent may not be the category itself or one of its children."""
    _require_manager(actor)
    _refuse_unknown(fields, CATEGORY_FIELDS)
    category = CatalogCategory() if category is None else CatalogCategory.objects.select_for_update().get(
        pk=category.pk)
    for name, value in fields.items():
        setattr(category, name, _translations(value, "category") if name == "translations" else value)
    errors = {}
    _required_text(category, ["name"], errors)
    category.description = (category.description or "").strip()
    parent = category.parent
    seen = {category.pk} if category.pk else set()
    while parent is not None:
        if parent.pk in seen:
            errors["parent"] = _("A category cannot sit inside itself.")
            break
        seen.add(parent.pk)
        parent = parent.parent
    if errors:
        raise ValidationError(errors)
    category.save()
    return category


# --- Items --------------------------------------------------------------------------------------

ITEM_FIELDS = {"category", "name", "short_description", "description", "icon", "picture", "audience",
               "organisations", "groups", "delivery_days", "fulfilment_team", "ticket_category", "service",
               "price", "currency", "max_quantity", "allow_requested_for", "position", "translations"}
ITEM_RELATIONS = {"organisations", "groups"}


@service
def item_save(*, actor: User, item: CatalogItem | None = None, **fields) -> CatalogItem:
    """Create (as a draft, with an empty draft form) or edit an item's description and settings."""
    _require_manager(actor)
    _refuse_unknown(fields, ITEM_FIELDS)
    relations = {name: list(fields.pop(name) or []) for name in ITEM_RELATIONS if name in fields}
    creating = item is None
    item = CatalogItem() if creating else CatalogItem.objects.select_for_update().get(pk=item.pk)
    for name, value in fields.items():
        if name == "translations":
            value = _translations(value, "item")
        elif name in ("currency",):
            value = (value or "").strip().upper()
        elif name in ("short_description", "description", "icon") and value is None:
            value = ""
        setattr(item, name, value)
    errors = {}
    _required_text(item, ["name"], errors)
    if item.category_id is None:
        errors["category"] = _("This field is required.")
    if item.audience not in Audience.values:
        errors["audience"] = _("Unknown audience.")
    elif item.audience == Audience.RESTRICTED and not _has_audience(item, relations):
        errors["audience"] = _("Name at least one organisation or group, or open the item to everyone.")
    if item.price is not None and item.price < 0:
        errors["price"] = _("A price cannot be negative.")
    if item.price is not None and not re.fullmatch(r"[A-Z]{3}", item.currency or ""):
        errors["currency"] = _("Give the price's currency as a three-letter code, e.g. EUR or KRW.")
    if not item.max_quantity or item.max_quantity > 1000:
        errors["max_quantity"] = _("Allow between 1 and 1000 per order.")
    if "picture" in fields and fields["picture"]:
        errors.update(_picture_errors(fields["picture"]))
    if item.fulfilment_team_id and not item.fulfilment_team.active:
        errors["fulfilment_team"] = _("This team is no longer active.")
    if errors:
        raise ValidationError(errors)
    item.save()
    for name, values in relations.items():
        getattr(item, name).set(values)
    if creating:
        FormVersion.objects.create(item=item, number=1, created_by=actor)
    return item


PICTURE_EXTENSIONS = {"png", "jpg", "jpeg", "gif", "webp"}
MAX_PICTURE_BYTES = 2 * 1024 * 1024


def _picture_errors(upload) -> dict:
    name = getattr(upload, "name", "") or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in PICTURE_EXTENSIONS:
        return {"picture": _("Use a PNG, JPEG, GIF or WebP picture.")}
    if not 0 < getattr(upload, "size", 0) <= MAX_PICTURE_BYTES:
        return {"picture": _("The picture must be smaller than 2 MB.")}
    return {}


def _has_audience(item: CatalogItem, relations: dict) -> bool:
    """Whether a restricted item keeps someone who may order it after this save."""
    return any(relations[name] if name in relations else (item.pk and getattr(item, name).exists())
               for name in ITEM_RELATIONS)


@service
def item_set_state(*, actor: User, item: CatalogItem, state: str) -> CatalogItem:
    """Activate (people can order it: it needs a published form) or retire an item (no new orders;
    orders already made are untouched)."""
    _require_manager(actor)
    item = CatalogItem.objects.select_for_update().get(pk=item.pk)
    if state not in (ItemState.ACTIVE, ItemState.RETIRED):
        raise ValidationError({"state": _("An item can be activated or retired.")})
    if state == ItemState.ACTIVE and item.current_form_id is None:
        raise DomainError(_("Publish the item's form before opening it for orders."), code="form_not_published")
    if item.state != state:
        item.state = state
        item.save(update_fields=["state", "updated_at"])
    return item


# --- Forms and questions ------------------------------------------------------------------------


def _require_draft(form: FormVersion) -> None:
    if form.state != FormState.DRAFT:
        raise DomainError(_("Version %(n)s of this form is published and cannot change: edit the draft.")
                          % {"n": form.number}, code="form_not_draft")


@service
def form_draft(*, actor: User, item: CatalogItem) -> FormVersion:
    """The item's draft form, made as a copy of the current published version when there is none."""
    _require_manager(actor)
    item = CatalogItem.objects.select_for_update().get(pk=item.pk)
    draft = item.form_versions.filter(state=FormState.DRAFT).first()
    if draft is not None:
        return draft
    number = (item.form_versions.aggregate(n=Max("number"))["n"] or 0) + 1
    draft = FormVersion.objects.create(item=item, number=number, created_by=actor)
    if item.current_form_id:
        copies = []
        for question in item.current_form.questions.all():
            question.pk, question.form = None, draft
            copies.append(question)
        Question.objects.bulk_create(copies)
    return draft


@service
def form_discard(*, actor: User, form: FormVersion) -> None:
    """Throw a draft away (the published version stays current)."""
    _require_manager(actor)
    form = FormVersion.objects.select_for_update().get(pk=form.pk)
    _require_draft(form)
    if form.item.current_form_id is None:
        raise DomainError(_("This is the item's only form: edit it instead of discarding it."), code="only_form")
    form.delete()


@service
def form_publish(*, actor: User, form: FormVersion) -> FormVersion:
    """Publish a draft: new orders use it; the previous version is superseded (orders keep theirs)."""
    _require_manager(actor)
    form = FormVersion.objects.select_for_update().select_related("item").get(pk=form.pk)
    _require_draft(form)
    item = CatalogItem.objects.select_for_update().get(pk=form.item_id)
    questions = list(form.questions.all())
    keys = {q.key for q in questions}
    errors = [message for q in questions for message in _condition_problems(q, keys)]
    person_keys = {q.key for q in questions if q.type == QuestionType.PERSON}
    for rule in item.approval_rules.filter(source=ApproverSource.ANSWER):
        if rule.answer_key not in person_keys:
            errors.append(_("Approval step “%(name)s” takes its approver from the answer “%(key)s”, which this "
                            "form does not ask as a person question.") % {"name": rule.name, "key": rule.answer_key})
    if errors:
        raise ValidationError({"form": errors})
    FormVersion.objects.filter(item=item, state=FormState.PUBLISHED).update(state=FormState.SUPERSEDED)
    form.state, form.published_by, form.published_at = FormState.PUBLISHED, actor, timezone.now()
    form.save(update_fields=["state", "published_by", "published_at"])
    item.current_form = form
    item.save(update_fields=["current_form", "updated_at"])
    return form


def _condition_problems(question: Question, keys: set[str]) -> list[str]:
    problems = []
    for name in ("visible_if", "required_if"):
        others = keys - {question.key}
        for message in forms_engine.condition_errors(getattr(question, name), others):
            problems.append(f"{question.key}: {message}")
    return problems


QUESTION_FIELDS = {"key", "type", "label", "help_text", "required", "default", "choices", "min_value", "max_value",
                   "pattern", "pattern_message", "ci_class", "visible_if", "required_if", "translations", "position"}


@service
def question_save(*, actor: User, form: FormVersion, question: Question | None = None, **fields) -> Question:
    """Add or edit a question of a draft form; conditions may name the form's other questions."""
    _require_manager(actor)
    form = FormVersion.objects.select_for_update().get(pk=form.pk)
    _require_draft(form)
    _refuse_unknown(fields, QUESTION_FIELDS)
    if question is None:
        if form.questions.count() >= MAX_QUESTIONS:
            raise ValidationError({"key": _("A form has at most %(n)s questions.") % {"n": MAX_QUESTIONS}})
        last = form.questions.aggregate(p=Max("position"))["p"]
        question = Question(form=form, position=(last or 0) + 1)
    else:
        question = Question.objects.get(pk=question.pk, form=form)
    for name, value in fields.items():
        if name == "translations":
            value = _translations(value, "question")
        setattr(question, name, "" if value is None and name in ("help_text", "pattern", "pattern_message")
                else value)
    errors = _question_errors(question, form)
    if errors:
        raise ValidationError(errors)
    question.save()
    return question


def _question_errors(q: Question, form: FormVersion) -> dict:
    errors = {}
    q.key = (q.key or "").strip().lower()
    if not KEY_RE.match(q.key):
        errors["key"] = _("Use lower-case letters, digits and _ (starting with a letter), e.g. laptop_model.")
    elif form.questions.filter(key=q.key).exclude(pk=q.pk).exists():
        errors["key"] = _("Another question of this form has this key.")
    _required_text(q, ["label"], errors)
    if q.type not in QuestionType.values:
        errors["type"] = _("Unknown question type.")
        return errors
    errors.update(_choice_errors(q))
    if q.type != QuestionType.NUMBER and (q.min_value is not None or q.max_value is not None):
        errors["min_value"] = _("Only number questions have a range.")
    if q.min_value is not None and q.max_value is not None and q.min_value > q.max_value:
        errors["max_value"] = _("The maximum must not be below the minimum.")
    if q.pattern:
        if q.type not in (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT):
            errors["pattern"] = _("Only text questions have a pattern.")
        else:
            try:
                re.compile(q.pattern)
            except re.error as exc:
                errors["pattern"] = _("This is not a valid regular expression: %(error)s") % {"error": exc}
    if q.ci_class_id and q.type != QuestionType.CI:
        errors["ci_class"] = _("Only configuration-item questions have a class.")
    keys = set(form.questions.exclude(pk=q.pk).values_list("key", flat=True))
    for name in ("visible_if", "required_if"):
        problems = forms_engine.condition_errors(getattr(q, name), keys)
        if problems:
            errors[name] = problems
    if q.visible_if and q.key in forms_engine.condition_keys(q.visible_if):
        errors["visible_if"] = _("A question cannot depend on its own answer.")
    if q.default is not None and "type" not in errors and "pattern" not in errors and not errors.get("choices"):
        errors.update(_default_errors(q))
    return errors


def _choice_errors(q: Question) -> dict:
    if q.type not in CHOICE_TYPES:
        if q.choices:
            return {"choices": _("Only choice questions have options.")}
        q.choices = []
        return {}
    choices = q.choices
    if not isinstance(choices, list) or not choices or len(choices) > MAX_CHOICES:
        return {"choices": _("Give between 1 and %(n)s options.") % {"n": MAX_CHOICES}}
    cleaned, values = [], set()
    for choice in choices:
        if not isinstance(choice, dict) or not str(choice.get("value") or "").strip() \
                or set(choice) - {"value", "label", "translations"}:
            return {"choices": _("Each option is {\"value\", \"label\", \"translations\"} with a value.")}
        value = str(choice["value"]).strip()
        if value in values:
            return {"choices": _("Option values must differ: %(value)s is given twice.") % {"value": value}}
        values.add(value)
        translations = choice.get("translations") or {}
        if not isinstance(translations, dict) or not all(isinstance(t, str) for t in translations.values()):
            return {"choices": _("An option's translations are {\"ko\": \"…\"}.")}
        cleaned.append({"value": value, "label": str(choice.get("label") or value).strip(),
                        "translations": {lang: t.strip() for lang, t in translations.items() if t.strip()}})
    q.choices = cleaned
    return {}


def _default_errors(q: Question) -> dict:
    if q.type == QuestionType.ATTACHMENT:
        return {"default": _("An attachment question has no default.")}
    try:
        value, _display, _file = forms_engine._Answer(q, user=None).clean(q.default, None)
    except ValidationError as exc:
        return {"default": [_("The default is not a valid answer: %(why)s") % {"why": " ".join(exc.messages)}]}
    q.default = value
    return {}


@service
def question_delete(*, actor: User, question: Question) -> None:
    """Remove a question from a draft; refused while another question's condition reads it."""
    _require_manager(actor)
    form = FormVersion.objects.select_for_update().get(pk=question.form_id)
    _require_draft(form)
    readers = [q.label for q in form.questions.exclude(pk=question.pk)
               if question.key in forms_engine.condition_keys(q.visible_if) | forms_engine.condition_keys(
                   q.required_if)]
    if readers:
        raise DomainError(_("Other questions depend on this one: %(names)s. Change their conditions first.")
                          % {"names": ", ".join(readers)}, code="question_in_use")
    question.delete()


@service
def question_move(*, actor: User, question: Question, offset: int) -> Question:
    """Move a question up (negative ``offset``) or down in its draft form."""
    _require_manager(actor)
    form = FormVersion.objects.select_for_update().get(pk=question.form_id)
    _require_draft(form)
    questions = list(form.questions.all())
    index = next(i for i, q in enumerate(questions) if q.pk == question.pk)
    target = max(0, min(len(questions) - 1, index + offset))
    questions.insert(target, questions.pop(index))
    for position, q in enumerate(questions, start=1):
        if q.position != position:
            q.position = position
            q.save(update_fields=["position"])
    return questions[target]


def _item_part(model, item: CatalogItem, instance):
    """``instance`` re-read as a part of ``item`` (parts never move between items), or a new one placed last."""
    if instance is not None:
        return model.objects.get(pk=instance.pk, item=item)
    last = model.objects.filter(item=item).aggregate(p=Max("position"))["p"]
    return model(item=item, position=(last or 0) + 1)


# --- Task templates -----------------------------------------------------------------------------

TASK_FIELDS = {"key", "name", "description", "team", "position", "condition", "translations"}


@service
def task_template_save(*, actor: User, item: CatalogItem, template: TaskTemplate | None = None,
                       depends_on: list[TaskTemplate] | None = None, **fields) -> TaskTemplate:
    """Add or edit a fulfilment task of an item; ``depends_on`` names the item's other tasks and
    may not make a cycle."""
    _require_manager(actor)
    _refuse_unknown(fields, TASK_FIELDS)
    item = CatalogItem.objects.select_for_update().get(pk=item.pk)
    template = _item_part(TaskTemplate, item, template)
    for name, value in fields.items():
        if name == "translations":
            value = _translations(value, "task")
        setattr(template, name, "" if value is None and name == "description" else value)
    errors = {}
    template.key = (template.key or "").strip().lower()
    if not KEY_RE.match(template.key):
        errors["key"] = _("Use lower-case letters, digits and _ (starting with a letter), e.g. laptop_model.")
    elif item.task_templates.filter(key=template.key).exclude(pk=template.pk).exists():
        errors["key"] = _("Another task of this item has this key.")
    _required_text(template, ["name"], errors)
    if template.team_id and not template.team.active:
        errors["team"] = _("This team is no longer active.")
    condition_problems = forms_engine.condition_errors(template.condition, _answer_keys(item) | {"price"})
    if condition_problems:
        errors["condition"] = condition_problems
    if depends_on is not None:
        errors.update(_dependency_errors(item, template, depends_on))
    if errors:
        raise ValidationError(errors)
    template.save()
    if depends_on is not None:
        template.depends_on.set(depends_on)
    return template


def _answer_keys(item: CatalogItem) -> set[str]:
    """Question keys of the item's draft and current forms (what task and approval conditions read)."""
    forms = item.form_versions.filter(state__in=[FormState.DRAFT, FormState.PUBLISHED])
    return set(Question.objects.filter(form__in=forms).values_list("key", flat=True))


def _dependency_errors(item: CatalogItem, template: TaskTemplate, depends_on: list[TaskTemplate]) -> dict:
    if any(other.item_id != item.pk for other in depends_on):
        return {"depends_on": _("A task can only wait for tasks of the same item.")}
    if template.pk and any(other.pk == template.pk for other in depends_on):
        return {"depends_on": _("A task cannot wait for itself.")}
    if template.pk is None:
        return {}  # nothing depends on a new task yet, so it cannot close a cycle
    edges = {}
    for source, target in TaskTemplate.depends_on.through.objects.filter(
            from_tasktemplate__item=item).values_list("from_tasktemplate_id", "to_tasktemplate_id"):
        edges.setdefault(source, set()).add(target)
    edges[template.pk] = {other.pk for other in depends_on}
    # A cycle exists when the task is reachable again from what it waits for.
    stack, seen = list(edges[template.pk]), set()
    while stack:
        current = stack.pop()
        if current == template.pk:
            return {"depends_on": _("These dependencies would make tasks wait for each other forever.")}
        if current not in seen:
            seen.add(current)
            stack.extend(edges.get(current, ()))
    return {}


@service
def task_template_delete(*, actor: User, template: TaskTemplate) -> None:
    """Remove a task from the item (tasks already created keep their copy); others stop waiting for it."""
    _require_manager(actor)
    template.delete()


# --- Approval rules -----------------------------------------------------------------------------

RULE_FIELDS = {"position", "name", "source", "group", "answer_key", "policy", "threshold", "condition",
               "timeout_hours", "timeout_action", "escalate_to"}


@service
def approval_rule_save(*, actor: User, item: CatalogItem, rule: ApprovalRule | None = None,
                       people: list[User] | None = None, **fields) -> ApprovalRule:
    """Add or edit an approval step of an item's orders (the approval engine runs them in order)."""
    _require_manager(actor)
    _refuse_unknown(fields, RULE_FIELDS)
    item = CatalogItem.objects.select_for_update().get(pk=item.pk)
    rule = _item_part(ApprovalRule, item, rule)
    for name, value in fields.items():
        setattr(rule, name, "" if value is None and name in ("answer_key", "timeout_action") else value)
    errors = {}
    _required_text(rule, ["name"], errors)
    errors.update(_approver_errors(item, rule, people))
    errors.update(_policy_errors(rule.policy, rule.threshold))
    problems = forms_engine.condition_errors(rule.condition, _answer_keys(item) | {"price"})
    if problems:
        errors["condition"] = problems
    errors.update(_timeout_errors(rule))
    if errors:
        raise ValidationError(errors)
    if rule.source != ApproverSource.GROUP:
        rule.group = None
    if rule.source != ApproverSource.ANSWER:
        rule.answer_key = ""
    rule.save()
    if people is not None or rule.source != ApproverSource.PEOPLE:
        rule.people.set(people if rule.source == ApproverSource.PEOPLE else [])
    return rule


def _approver_errors(item: CatalogItem, rule: ApprovalRule, people) -> dict:
    if rule.source not in ApproverSource.values:
        return {"source": _("Unknown approver source.")}
    if rule.source == ApproverSource.GROUP:
        if rule.group_id is None:
            return {"group": _("Choose the approver group.")}
        if not rule.group.active:
            return {"group": _("This approver group is no longer active.")}
    if rule.source == ApproverSource.PEOPLE:
        named = people if people is not None else (list(rule.people.all()) if rule.pk else [])
        if not named:
            return {"people": _("Name at least one approver.")}
        if any(not person.is_active for person in named):
            return {"people": _("Only active people can approve.")}
    if rule.source == ApproverSource.ANSWER:
        person_keys = set(Question.objects.filter(
            form__item=item, form__state__in=[FormState.DRAFT, FormState.PUBLISHED],
            type=QuestionType.PERSON).values_list("key", flat=True))
        if rule.answer_key not in person_keys:
            return {"answer_key": _("Give the key of a person question of the item's form.")}
    return {}


def _policy_errors(policy: str, threshold: int | None) -> dict:
    if policy not in ("all", "any", "quorum", "percent"):
        return {"policy": _("Unknown policy.")}
    if policy in ("quorum", "percent") and not threshold:
        return {"threshold": _("A quorum or a percentage needs a threshold.")}
    if policy == "percent" and threshold and threshold > 100:
        return {"threshold": _("A percentage is at most 100.")}
    return {}


def _timeout_errors(rule: ApprovalRule) -> dict:
    if rule.timeout_action not in TimeoutAction.values:
        return {"timeout_action": _("Unknown time-out action.")}
    if rule.timeout_action and not rule.timeout_hours:
        return {"timeout_hours": _("Say after how many hours the step times out.")}
    if rule.timeout_hours and rule.timeout_hours > 24 * 90:
        return {"timeout_hours": _("Time out within 90 days.")}
    if rule.timeout_action == TimeoutAction.ESCALATE:
        if rule.escalate_to_id is None:
            return {"escalate_to": _("Choose the group the step escalates to.")}
        if not rule.escalate_to.active:
            return {"escalate_to": _("This approver group is no longer active.")}
    elif rule.escalate_to_id is not None:
        rule.escalate_to = None
    return {}


@service
def approval_rule_delete(*, actor: User, rule: ApprovalRule) -> None:
    """Remove an approval step (orders already asking keep their approval round)."""
    _require_manager(actor)
    rule.delete()
