"""The console's catalog editor (``catalog.manage_catalog``): categories, items, the draft form and
its questions (preview, publish), task templates and approval rules.

Every save is one call into ``catalog.services``; a refused save comes back as form errors with
the input kept (400), a refused action as a message. Other desk staff get a 403, requesters the
portal (``esm.access.console_guard``).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.roles import can_manage_catalog, can_work_tickets
from esm.access import console_guard
from esm.errors import DomainError
from esm.forms import save_through_service

from .. import forms_engine, services
from ..choices import FormState
from ..forms.editor import (
    ApprovalRuleForm,
    CategoryForm,
    ItemForm,
    QuestionForm,
    StateForm,
    TaskTemplateForm,
)
from ..forms.portal import AnswersForm
from ..models import ApprovalRule, CatalogCategory, CatalogItem, FormVersion, Question, TaskTemplate

catalog_manager_required = console_guard(can_manage_catalog, staff=can_work_tickets)


def _act(request, call, *, success: str, to: str):
    """Run a one-button action; a refusal becomes an error message."""
    try:
        call()
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, success)
    return redirect(to)


def _edit_page(request, form, *, title: str, back: str, item=None, section="", delete_url: str = "", extra=None):
    return render(request, "desk/catalog/edit.html", {
        "form": form, "title": title, "back": back, "item": item, "section": section, "delete_url": delete_url,
        **(extra or {}),
    }, status=400 if form.is_bound else 200)


# --- The catalog ------------------------------------------------------------------------------


@catalog_manager_required
def catalog_home(request):
    categories = CatalogCategory.objects.select_related("parent").annotate(size=Count("items")).order_by(
        "position", "name")
    items = (CatalogItem.objects.select_related("category", "current_form", "fulfilment_team")
             .annotate(drafts=Count("form_versions", filter=Q(form_versions__state=FormState.DRAFT)))
             .order_by("category__position", "category__name", "position", "name"))
    state = request.GET.get("state", "")
    if state in ("draft", "active", "retired"):
        items = items.filter(state=state)
    return render(request, "desk/catalog/home.html", {"categories": categories, "items": items, "state": state})


@catalog_manager_required
@require_http_methods(["GET", "POST"])
def category_edit(request, pk: int | None = None):
    category = get_object_or_404(CatalogCategory, pk=pk) if pk else None
    translations = category.translations if category else {}
    if request.method == "POST":
        form = CategoryForm(request.POST, translations=translations)
        if form.is_valid():
            response = save_through_service(request, form, lambda: services.category_save(
                actor=request.user, category=category, **form.values()),
                success=_("Category saved."), to="desk-catalog:home")
            if response:
                return response
    else:
        initial = {name: getattr(category, "parent_id" if name == "parent" else name) for name in CategoryForm.FIELDS} \
            if category else {}
        form = CategoryForm(initial=initial, translations=translations)
    return _edit_page(request, form, title=category.name if category else _("New category"),
                      back=reverse("desk-catalog:home"))


# --- Items ------------------------------------------------------------------------------------


def _item(pk) -> CatalogItem:
    return get_object_or_404(CatalogItem.objects.select_related("category", "current_form"), pk=pk)


def _item_initial(item: CatalogItem) -> dict:
    initial = {}
    for name in ItemForm.FIELDS:
        if name in ("organisations", "groups"):
            initial[name] = list(getattr(item, name).values_list("pk", flat=True))
        elif name in ("category", "fulfilment_team", "ticket_category", "service"):
            initial[name] = getattr(item, f"{name}_id")
        else:
            initial[name] = getattr(item, name)
    return initial


@catalog_manager_required
@require_http_methods(["GET", "POST"])
def item_edit(request, pk: int | None = None):
    item = _item(pk) if pk else None
    translations = item.translations if item else {}
    if request.method == "POST":
        form = ItemForm(request.POST, request.FILES, translations=translations)
        if form.is_valid():
            try:
                saved = services.item_save(actor=request.user, item=item, **form.values())
            except ValidationError as exc:
                form.add_service_errors(exc)
            except DomainError as exc:
                form.add_error(None, exc.detail)
            else:
                messages.success(request, _("Item saved."))
                return redirect("desk-catalog:item_edit", saved.pk)
    else:
        form = ItemForm(initial=_item_initial(item) if item else {"category": request.GET.get("category")},
                        translations=translations)
    return _edit_page(request, form, title=item.name if item else _("New item"),
                      back=reverse("desk-catalog:home"), item=item, section="details", extra={"multipart": True})


@catalog_manager_required
@require_POST
def item_state(request, pk: int):
    item = _item(pk)
    form = StateForm(request.POST)
    if not form.is_valid():
        raise Http404
    state = form.cleaned_data["state"]
    success = _("%(name)s is open for orders.") if state == "active" else _("%(name)s is retired: no new orders.")
    return _act(request, lambda: services.item_set_state(actor=request.user, item=item, state=state),
                success=success % {"name": item.name}, to=reverse("desk-catalog:item_edit", args=[item.pk]))


# --- The form ---------------------------------------------------------------------------------


def _question_words(questions) -> tuple[dict, dict]:
    """Labels and option labels by key, for conditions in words (``forms_engine.describe``)."""
    labels = {q.key: q.label for q in questions}
    options = {q.key: {str(c["value"]): c.get("label", "") for c in q.choices or []} for q in questions}
    return labels, options


def _form_context(item: CatalogItem) -> dict:
    versions = list(item.form_versions.select_related("created_by", "published_by").order_by("-number"))
    draft = next((v for v in versions if v.state == FormState.DRAFT), None)
    shown = draft or item.current_form
    questions = list(shown.questions.select_related("ci_class")) if shown else []
    labels, options = _question_words(questions)
    for q in questions:
        q.visible_text = forms_engine.describe(q.visible_if, labels, options)
        q.required_text = forms_engine.describe(q.required_if, labels, options)
    return {"item": item, "versions": versions, "draft": draft, "shown": shown, "questions": questions,
            "section": "form"}


@catalog_manager_required
def form_edit(request, pk: int):
    item = _item(pk)
    return render(request, "desk/catalog/form.html", _form_context(item))


@catalog_manager_required
@require_POST
def form_draft(request, pk: int):
    item = _item(pk)
    return _act(request, lambda: services.form_draft(actor=request.user, item=item),
                success=_("Draft ready: change the questions, then publish."),
                to=reverse("desk-catalog:form_edit", args=[item.pk]))


def _draft(item: CatalogItem) -> FormVersion:
    draft = item.form_versions.filter(state=FormState.DRAFT).first()
    if draft is None:
        raise Http404
    return draft


@catalog_manager_required
@require_POST
def form_publish(request, pk: int):
    item = _item(pk)
    draft = _draft(item)
    return _act(request, lambda: services.form_publish(actor=request.user, form=draft),
                success=_("Version %(n)s published: new orders use it.") % {"n": draft.number},
                to=reverse("desk-catalog:form_edit", args=[item.pk]))


@catalog_manager_required
@require_POST
def form_discard(request, pk: int):
    item = _item(pk)
    draft = _draft(item)
    return _act(request, lambda: services.form_discard(actor=request.user, form=draft),
                success=_("Draft discarded."), to=reverse("desk-catalog:form_edit", args=[item.pk]))


@catalog_manager_required
@require_http_methods(["GET", "POST"])
def form_preview(request, pk: int):
    """The form as people will see it (the draft, else the current version); a POST checks the
    answers as an order would, without ordering."""
    item = _item(pk)
    version = item.form_versions.filter(state=FormState.DRAFT).first() or item.current_form
    if version is None:
        raise Http404
    posted = request.method == "POST"
    form = AnswersForm(version, request.POST if posted else None, request.FILES if posted else None,
                       user=request.user)
    checked = form.cleaned_answers if posted and form.is_valid() else None
    return render(request, "desk/catalog/preview.html", {"item": item, "version": version, "form": form,
                                                         "checked": checked, "section": "form"},
                  status=400 if posted and checked is None else 200)


def _question_initial(question: Question) -> dict:
    initial = {name: getattr(question, "ci_class_id" if name == "ci_class" else name) for name in QuestionForm.FIELDS}
    initial["choices_text"] = QuestionForm.choices_as_text(question.choices)
    return initial


@catalog_manager_required
@require_http_methods(["GET", "POST"])
def question_edit(request, pk: int, question_pk: int | None = None):
    item = _item(pk)
    draft = _draft(item)
    question = get_object_or_404(Question, pk=question_pk, form=draft) if question_pk else None
    translations = question.translations if question else {}
    back = reverse("desk-catalog:form_edit", args=[item.pk])
    if request.method == "POST":
        form = QuestionForm(request.POST, translations=translations)
        if form.is_valid():
            response = save_through_service(request, form, lambda: services.question_save(
                actor=request.user, form=draft, question=question, **form.values()),
                success=_("Question saved."), to=back)
            if response:
                return response
    else:
        form = QuestionForm(initial=_question_initial(question) if question else {}, translations=translations)
    keys = list(draft.questions.exclude(pk=getattr(question, "pk", None)).values_list("key", "label"))
    return _edit_page(request, form, title=question.label if question else _("New question"), back=back, item=item,
                      section="form", extra={"other_keys": keys})


@catalog_manager_required
@require_POST
def question_delete(request, pk: int, question_pk: int):
    item = _item(pk)
    question = get_object_or_404(Question, pk=question_pk, form=_draft(item))
    return _act(request, lambda: services.question_delete(actor=request.user, question=question),
                success=_("Question removed."), to=reverse("desk-catalog:form_edit", args=[item.pk]))


@catalog_manager_required
@require_POST
def question_move(request, pk: int, question_pk: int):
    item = _item(pk)
    question = get_object_or_404(Question, pk=question_pk, form=_draft(item))
    offset = -1 if request.POST.get("direction") == "up" else 1
    return _act(request, lambda: services.question_move(actor=request.user, question=question, offset=offset),
                success=_("Question moved."), to=reverse("desk-catalog:form_edit", args=[item.pk]))


# --- Tasks and approvals ----------------------------------------------------------------------


@catalog_manager_required
def fulfilment(request, pk: int):
    """The item's task templates and approval steps."""
    item = _item(pk)
    templates = list(item.task_templates.select_related("team").prefetch_related("depends_on"))
    rules = list(item.approval_rules.select_related("group", "escalate_to").prefetch_related("people"))
    form = item.form_versions.filter(state=FormState.DRAFT).first() or item.current_form
    labels, options = _question_words(list(form.questions.all()) if form else [])
    labels["price"] = _("the order's total")
    for row in (*templates, *rules):
        row.condition_text = forms_engine.describe(row.condition, labels, options)
    return render(request, "desk/catalog/fulfilment.html", {"item": item, "templates": templates, "rules": rules,
                                                            "section": "fulfilment"})


@catalog_manager_required
@require_http_methods(["GET", "POST"])
def task_edit(request, pk: int, template_pk: int | None = None):
    item = _item(pk)
    template = get_object_or_404(TaskTemplate, pk=template_pk, item=item) if template_pk else None
    translations = template.translations if template else {}
    back = reverse("desk-catalog:fulfilment", args=[item.pk])
    if request.method == "POST":
        form = TaskTemplateForm(request.POST, item=item, template=template, translations=translations)
        if form.is_valid():
            response = save_through_service(request, form, lambda: services.task_template_save(
                actor=request.user, item=item, template=template,
                depends_on=list(form.cleaned_data["depends_on"]), **form.values()),
                success=_("Task saved."), to=back)
            if response:
                return response
    else:
        initial = {}
        if template:
            initial = {name: getattr(template, "team_id" if name == "team" else name)
                       for name in TaskTemplateForm.FIELDS}
            initial["depends_on"] = list(template.depends_on.values_list("pk", flat=True))
        form = TaskTemplateForm(initial=initial, item=item, template=template, translations=translations)
    return _edit_page(request, form, title=template.name if template else _("New task"), back=back, item=item,
                      section="fulfilment",
                      delete_url=reverse("desk-catalog:task_delete", args=[item.pk, template.pk]) if template else "")


@catalog_manager_required
@require_POST
def task_delete(request, pk: int, template_pk: int):
    item = _item(pk)
    template = get_object_or_404(TaskTemplate, pk=template_pk, item=item)
    return _act(request, lambda: services.task_template_delete(actor=request.user, template=template),
                success=_("Task removed."), to=reverse("desk-catalog:fulfilment", args=[item.pk]))


@catalog_manager_required
@require_http_methods(["GET", "POST"])
def rule_edit(request, pk: int, rule_pk: int | None = None):
    item = _item(pk)
    rule = get_object_or_404(ApprovalRule, pk=rule_pk, item=item) if rule_pk else None
    back = reverse("desk-catalog:fulfilment", args=[item.pk])
    if request.method == "POST":
        form = ApprovalRuleForm(request.POST)
        if form.is_valid():
            response = save_through_service(request, form, lambda: services.approval_rule_save(
                actor=request.user, item=item, rule=rule, people=list(form.cleaned_data["people"]),
                **form.values()), success=_("Approval step saved."), to=back)
            if response:
                return response
    else:
        initial = {}
        if rule:
            initial = {name: getattr(rule, f"{name}_id" if name in ("group", "escalate_to") else name)
                       for name in ApprovalRuleForm.FIELDS}
            initial["people"] = list(rule.people.values_list("pk", flat=True))
        form = ApprovalRuleForm(initial=initial)
    return _edit_page(request, form, title=rule.name if rule else _("New approval step"), back=back, item=item,
                      section="fulfilment",
                      delete_url=reverse("desk-catalog:rule_delete", args=[item.pk, rule.pk]) if rule else "")


@catalog_manager_required
@require_POST
def rule_delete(request, pk: int, rule_pk: int):
    item = _item(pk)
    rule = get_object_or_404(ApprovalRule, pk=rule_pk, item=item)
    return _act(request, lambda: services.approval_rule_delete(actor=request.user, rule=rule),
                success=_("Approval step removed."), to=reverse("desk-catalog:fulfilment", args=[item.pk]))
