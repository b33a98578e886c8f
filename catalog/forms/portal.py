"""The portal's order form: one field per question of an item's published form, plus quantity and
"requested for". Django's fields only parse; ``forms_engine.clean_answers`` applies the conditions,
requirements and validations, the same for pages and the API.

Without JavaScript every question is shown, each conditional one with an "only if …" hint;
``catalog/static/catalog/order.js`` hides and shows them as the person answers, reading each
question's conditions from its ``data-visible-if`` attribute (JSON, never executed).
"""

import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from cmdb.models import ConfigurationItem
from esm.forms import ServiceErrorsMixin

from .. import forms_engine
from ..choices import QuestionType as T
from ..localize import choice_label, text

PREFIX = "q_"
RADIO_LIMIT = 5  # more options than this become a drop-down


def people_choices() -> list[tuple[str, str]]:
    people = User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")
    return [(str(p.pk), p.display_name) for p in people.only("id", "first_name", "last_name", "username")]


def _ci_choices(question) -> list[tuple[str, str]]:
    cis = ConfigurationItem.objects.operational()
    if question.ci_class_id:
        cis = cis.filter(ci_class_id=question.ci_class_id)
    return [(str(pk), name) for pk, name in cis.order_by("name").values_list("pk", "name")[:2000]]


def _field(question, people: list) -> forms.Field:
    """A Django field that parses ``question``'s answer (the engine checks it)."""
    kind = question.type
    attrs = {"data-question": question.key}
    if kind == T.SHORT_TEXT:
        return forms.CharField(widget=forms.TextInput(attrs=attrs))
    if kind == T.LONG_TEXT:
        return forms.CharField(widget=forms.Textarea(attrs={**attrs, "rows": 4}))
    if kind == T.NUMBER:
        number_attrs = {**attrs, "step": "any", "inputmode": "decimal"}
        if question.min_value is not None:
            number_attrs["min"] = forms_engine._plain(question.min_value)
        if question.max_value is not None:
            number_attrs["max"] = forms_engine._plain(question.max_value)
        return forms.CharField(widget=forms.NumberInput(attrs=number_attrs))
    if kind == T.DATE:
        return forms.CharField(widget=forms.DateInput(attrs={**attrs, "type": "date"}))
    if kind in (T.CHOICE, T.MULTI_CHOICE):
        options = [(str(c["value"]), choice_label(c)) for c in question.choices or []]
        if kind == T.MULTI_CHOICE:
            return forms.MultipleChoiceField(choices=options, widget=forms.CheckboxSelectMultiple(attrs=attrs))
        if len(options) <= RADIO_LIMIT:
            return forms.ChoiceField(choices=options, widget=forms.RadioSelect(attrs=attrs))
        return forms.ChoiceField(choices=[("", "—"), *options], widget=forms.Select(attrs=attrs))
    if kind == T.YES_NO:
        return forms.ChoiceField(choices=[("true", _("Yes")), ("false", _("No"))],
                                 widget=forms.RadioSelect(attrs=attrs))
    if kind == T.PERSON:
        return forms.ChoiceField(choices=[("", "—"), *people], widget=forms.Select(attrs=attrs))
    if kind == T.CI:
        return forms.ChoiceField(choices=[("", "—"), *_ci_choices(question)], widget=forms.Select(attrs=attrs))
    return forms.FileField(widget=forms.ClearableFileInput(attrs=attrs))


def _style(widget) -> None:
    """Bootstrap classes; radios and check boxes are laid out by the template."""
    if isinstance(widget, (forms.RadioSelect, forms.CheckboxSelectMultiple, forms.HiddenInput)):
        return
    css = "form-select" if isinstance(widget, forms.Select) else "form-control"
    widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


def _initial(question):
    if question.default is None:
        return None
    if question.type == T.YES_NO:
        return "true" if forms_engine._as_bool(question.default) else "false"
    if question.type == T.MULTI_CHOICE:
        return [str(v) for v in question.default] if isinstance(question.default, list) else [str(question.default)]
    return str(question.default)


class AnswersForm(ServiceErrorsMixin, forms.Form):
    """The questions of ``form_version`` for the portal; ``cleaned_answers`` after ``is_valid()``."""

    service_error_names_unknown = False

    def __init__(self, form_version, *args, user=None, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.form_version, self.user = form_version, user
        self.questions = forms_engine.questions_of(form_version) if form_version else []
        self.cleaned_answers = None
        people = people_choices() if any(q.type == T.PERSON for q in self.questions) else []
        labels = {q.key: text(q, "label") for q in self.questions}
        options = {q.key: {str(c["value"]): choice_label(c) for c in q.choices or []} for q in self.questions}
        for q in self.questions:
            field = _field(q, people)
            field.required = False
            field.label = labels[q.key]
            field.help_text = text(q, "help_text")
            field.initial = _initial(q)
            field.question = q
            field.always_required = q.required
            field.hint = forms_engine.describe(q.visible_if, labels, options)
            field.required_hint = forms_engine.describe(q.required_if, labels, options)
            field.visible_if_json = json.dumps(q.visible_if) if q.visible_if else ""
            field.required_if_json = json.dumps(q.required_if) if q.required_if else ""
            self.fields[PREFIX + q.key] = field
        for field in self.fields.values():
            _style(field.widget)

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()

    def question_fields(self):
        return [self[PREFIX + q.key] for q in self.questions]

    def raw_answers(self) -> tuple[dict, dict]:
        """The answers as the engine takes them (JSON values by key) and the uploaded files."""
        raw, files = {}, {}
        for q in self.questions:
            value = self.cleaned_data.get(PREFIX + q.key)
            if q.type == T.ATTACHMENT:
                if value:
                    files[q.key] = value
                raw[q.key] = None
            else:
                raw[q.key] = value if value not in ("", []) else None
        return raw, files

    def clean(self):
        cleaned = super().clean()
        if self.form_version is None:
            return cleaned
        raw, files = self.raw_answers()
        try:
            self.cleaned_answers = forms_engine.clean_answers(self.form_version, raw, user=self.user, files=files)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                target = PREFIX + key if PREFIX + key in self.fields else None
                for message in messages:
                    self.add_error(target, message)
        return cleaned


class OrderForm(AnswersForm):
    """The item page's form: the answers, how many, and for whom."""

    quantity = forms.IntegerField(label=gettext_lazy("How many?"), min_value=1, initial=1)
    requested_for = forms.TypedChoiceField(label=gettext_lazy("Who is it for?"), coerce=int, required=False)

    def __init__(self, form_version, *args, item, user, **kwargs):
        super().__init__(form_version, *args, user=user, **kwargs)
        self.item = item
        self.fields["quantity"].widget.attrs.update({"min": 1, "max": item.max_quantity})
        if item.max_quantity <= 1:
            self.fields["quantity"].widget = forms.HiddenInput()
        if item.allow_requested_for:
            others = [(pk, name) for pk, name in people_choices() if pk != str(user.pk)]
            self.fields["requested_for"].choices = [("", _("Me (%(name)s)") % {"name": user.display_name}),
                                                    *others]
            self.fields["requested_for"].help_text = _("Ordering for a colleague? Choose them here.")
        else:
            del self.fields["requested_for"]

    def clean_quantity(self):
        quantity = self.cleaned_data["quantity"]
        if quantity > self.item.max_quantity:
            raise ValidationError(_("You can order at most %(n)s at a time.") % {"n": self.item.max_quantity})
        return quantity

    def requested_for_user(self):
        pk = self.cleaned_data.get("requested_for")
        return User.objects.filter(pk=pk, is_active=True).first() if pk else None
