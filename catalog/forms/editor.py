"""Forms of the console's catalog editor. They parse input (JSON conditions, option lines,
translations); ``catalog.services`` validates and saves (rule 1)."""

import json

from django import forms
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, Team, User
from cmdb.models import CIClass, ConfigurationItem
from esm.fields import SingleLineFormField
from incidents.forms.desk import DeskForm, category_queryset
from servicedesk.models import ApprovalPolicy, ApproverGroup
from servicedesk.rendering import MAX_BODY_CHARS

from ..choices import ApproverSource, Audience, QuestionType, TimeoutAction
from ..forms_engine import MAX_DEPTH
from ..localize import TRANSLATABLE, other_languages
from ..templatetags.catalog_tags import ICONS

CONDITION_HELP = _('JSON, e.g. {"question": "model", "op": "equals", "value": "performance"}; combine with '
                   '{"all": [...]} or {"any": [...]}; operators: equals, one_of (a list), contains, at_least, at_most '
                   '(numbers).')


class JSONField(forms.CharField):
    """A JSON value typed into a text area (empty: none)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 2, "class": "font-monospace"}))
        super().__init__(max_length=5000, **kwargs)

    def prepare_value(self, value):
        if value is None or isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False)

    def to_python(self, value):
        value = super().to_python(value).strip()
        if not value:
            return None
        try:
            return json.loads(value)
        except ValueError as exc:
            raise ValidationError(_("This is not valid JSON: %(error)s"), params={"error": exc}) from None
        except RecursionError:  # thousands of nested brackets
            raise ValidationError(_("Conditions nest at most %(n)s levels deep."), params={"n": MAX_DEPTH}) from None


def _no_empty_choice(form) -> None:
    """Multiple-choice lists offer no "—" entry (DeskForm gives every model choice one)."""
    for field in form.fields.values():
        if isinstance(field, forms.ModelMultipleChoiceField):
            field.empty_label = None


class TranslatedForm(DeskForm):
    """Adds one field per other language and translatable text (``ko_name`` …); ``translations()``
    gathers them into the stored shape."""

    kind = ""

    def __init__(self, *args, translations: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        _no_empty_choice(self)
        for language in other_languages():
            for name in TRANSLATABLE[self.kind]:
                source = self.fields.get(name)
                label = f"{source.label if source else name} ({language})"
                widget = forms.Textarea(attrs={"rows": 3, "class": "form-control form-control-sm"}) \
                    if source and isinstance(source.widget, forms.Textarea) \
                    else forms.TextInput(attrs={"class": "form-control form-control-sm"})
                field = forms.CharField(label=label, required=False, max_length=MAX_BODY_CHARS, widget=widget)
                field.initial = ((translations or {}).get(language) or {}).get(name, "")
                self.fields[f"{language}_{name}"] = field

    def translations(self) -> dict:
        return {language: {name: self.cleaned_data.get(f"{language}_{name}", "") for name in TRANSLATABLE[self.kind]}
                for language in other_languages()}


def _icon_choices():
    return [("", "—"), *((name, name) for name in ICONS)]


class CategoryForm(TranslatedForm):
    kind = "category"
    FIELDS = ("name", "description", "icon", "parent", "position", "active")

    name = SingleLineFormField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    icon = forms.ChoiceField(label=_("Icon"), required=False, choices=_icon_choices)
    parent = forms.ModelChoiceField(label=_("Parent category"), required=False,
                                    queryset=None)
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=10_000, initial=0)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from ..models import CatalogCategory

        self.fields["parent"].queryset = CatalogCategory.objects.order_by("name")

    def values(self) -> dict:
        return {**{name: self.cleaned_data[name] for name in self.FIELDS}, "translations": self.translations()}


class ItemForm(TranslatedForm):
    kind = "item"
    FIELDS = ("category", "name", "short_description", "description", "icon", "audience", "organisations", "groups",
              "delivery_days", "fulfilment_team", "ticket_category", "service", "price", "currency", "max_quantity",
              "allow_requested_for", "position")

    category = forms.ModelChoiceField(label=_("Category"), queryset=None)
    name = SingleLineFormField(label=_("Name"), max_length=160)
    short_description = SingleLineFormField(label=_("Short description"), max_length=300, required=False)
    description = forms.CharField(label=_("Description (Markdown)"), required=False, max_length=MAX_BODY_CHARS,
                                  widget=forms.Textarea(attrs={"rows": 6}))
    icon = forms.ChoiceField(label=_("Icon"), required=False, choices=_icon_choices)
    picture = forms.FileField(label=_("Picture"), required=False,
                               help_text=_("PNG, JPEG, GIF or WebP; shown instead of the icon."))
    audience = forms.ChoiceField(label=_("Who may order it"), choices=Audience.choices)
    organisations = forms.ModelMultipleChoiceField(label=_("Organisations"), required=False,
                                                   queryset=Organisation.objects.order_by("name"))
    groups = forms.ModelMultipleChoiceField(label=_("Groups"), required=False, queryset=Group.objects.order_by("name"))
    delivery_days = forms.IntegerField(label=_("Delivery estimate (working days)"), required=False, min_value=0,
                                       max_value=365)
    fulfilment_team = forms.ModelChoiceField(label=_("Fulfilment team"), required=False,
                                             queryset=Team.objects.filter(active=True))
    ticket_category = forms.ModelChoiceField(label=_("Ticket category"), required=False, queryset=category_queryset())
    service = forms.ModelChoiceField(label=_("Service"), required=False, queryset=ConfigurationItem.objects.none())
    price = forms.DecimalField(label=_("Price"), required=False, min_value=0, max_digits=12, decimal_places=2)
    currency = SingleLineFormField(label=_("Currency"), required=False, max_length=3)
    max_quantity = forms.IntegerField(label=_("Most per order"), min_value=1, max_value=1000, initial=1)
    allow_requested_for = forms.BooleanField(label=_("May be ordered for someone else"), required=False, initial=True)
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=10_000, initial=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from ..models import CatalogCategory

        self.fields["category"].queryset = CatalogCategory.objects.order_by("name")
        self.fields["service"].queryset = ConfigurationItem.objects.services().order_by("name")

    def values(self) -> dict:
        values = {name: self.cleaned_data[name] for name in self.FIELDS}
        for name in ("short_description", "description", "icon", "currency"):
            values[name] = values[name] or ""
        if self.cleaned_data.get("picture"):
            values["picture"] = self.cleaned_data["picture"]
        values["translations"] = self.translations()
        return values


class QuestionForm(TranslatedForm):
    kind = "question"
    FIELDS = ("key", "type", "label", "help_text", "required", "default", "min_value", "max_value", "pattern",
              "pattern_message", "ci_class", "visible_if", "required_if")

    key = forms.SlugField(label=_("Key"), max_length=60, help_text=_("Names the answer in conditions and task "
                                                                     "descriptions, e.g. laptop_model."))
    type = forms.ChoiceField(label=_("Type"), choices=QuestionType.choices)
    label = SingleLineFormField(label=_("Question"), max_length=200)
    help_text = SingleLineFormField(label=_("Help text"), max_length=500, required=False)
    required = forms.BooleanField(label=_("Required"), required=False)
    default = JSONField(label=_("Default answer"), widget=forms.TextInput(attrs={"class": "font-monospace"}),
                        help_text=_('JSON: "text", 5, true, "2026-01-31", ["a", "b"] (choices by value).'))
    choices_text = forms.CharField(
        label=_("Options"), required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line: value | label | Korean label (choice questions only)."))
    min_value = forms.DecimalField(label=_("Minimum"), required=False, max_digits=14, decimal_places=4)
    max_value = forms.DecimalField(label=_("Maximum"), required=False, max_digits=14, decimal_places=4)
    pattern = forms.CharField(label=_("Pattern (regular expression)"), required=False, max_length=200,
                              help_text=_("The whole answer must match, e.g. [A-Z]{2}-\\d{4}."))
    pattern_message = SingleLineFormField(label=_("Message when the pattern does not match"), required=False,
                                          max_length=200)
    ci_class = forms.ModelChoiceField(label=_("CI class"), required=False, queryset=CIClass.objects.order_by("name"),
                                      help_text=_("Configuration-item questions: offer only CIs of this class."))
    visible_if = JSONField(label=_("Show only if"), help_text=CONDITION_HELP)
    required_if = JSONField(label=_("Required if"), help_text=CONDITION_HELP)

    service_error_aliases = {"choices": "choices_text"}

    @staticmethod
    def choices_as_text(choices) -> str:
        lines = []
        for choice in choices or []:
            parts = [str(choice.get("value", "")), choice.get("label", "")]
            korean = (choice.get("translations") or {}).get("ko")
            if korean:
                parts.append(korean)
            lines.append(" | ".join(parts))
        return "\n".join(lines)

    def clean_choices_text(self) -> list:
        choices = []
        for line in self.cleaned_data["choices_text"].splitlines():
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split("|")]
            if len(parts) > 3 or not parts[0]:
                raise ValidationError(_("Write each option as: value | label | Korean label."))
            label = parts[1] if len(parts) > 1 and parts[1] else parts[0]
            choices.append({"value": parts[0], "label": label,
                            "translations": {"ko": parts[2]} if len(parts) > 2 and parts[2] else {}})
        return choices

    def values(self) -> dict:
        values = {name: self.cleaned_data[name] for name in self.FIELDS}
        for name in ("help_text", "pattern", "pattern_message"):
            values[name] = values[name] or ""
        values["choices"] = self.cleaned_data["choices_text"]
        values["translations"] = self.translations()
        return values


class TaskTemplateForm(TranslatedForm):
    kind = "task"
    FIELDS = ("key", "name", "description", "team", "position", "condition")

    key = forms.SlugField(label=_("Key"), max_length=60)
    name = SingleLineFormField(label=_("Name"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, max_length=MAX_BODY_CHARS,
                                  widget=forms.Textarea(attrs={"rows": 3}),
                                  help_text=_("May name answers as {answer_key}: the task shows the answer."))
    team = forms.ModelChoiceField(label=_("Team"), required=False, queryset=Team.objects.filter(active=True))
    position = forms.IntegerField(label=_("Order"), min_value=0, max_value=10_000, initial=1)
    depends_on = forms.ModelMultipleChoiceField(label=_("Starts when these are closed"), required=False,
                                                queryset=None, widget=forms.CheckboxSelectMultiple)
    condition = JSONField(label=_("Only when"), help_text=CONDITION_HELP)

    def __init__(self, *args, item, template=None, **kwargs):
        super().__init__(*args, **kwargs)
        others = item.task_templates.order_by("position", "id")
        self.fields["depends_on"].queryset = others.exclude(pk=template.pk) if template else others

    def values(self) -> dict:
        values = {name: self.cleaned_data[name] for name in self.FIELDS}
        values["description"] = values["description"] or ""
        values["translations"] = self.translations()
        return values


class ApprovalRuleForm(DeskForm):
    FIELDS = ("name", "position", "source", "group", "answer_key", "policy", "threshold", "condition",
              "timeout_hours", "timeout_action", "escalate_to")

    name = SingleLineFormField(label=_("Name"), max_length=120)
    position = forms.IntegerField(label=_("Step order"), min_value=0, max_value=100, initial=1)
    source = forms.ChoiceField(label=_("Approvers"), choices=ApproverSource.choices)
    group = forms.ModelChoiceField(label=_("Approver group"), required=False,
                                   queryset=ApproverGroup.objects.filter(active=True).order_by("name"))
    people = forms.ModelMultipleChoiceField(label=_("People"), required=False, queryset=User.objects.none(),
                                            widget=forms.SelectMultiple(attrs={"size": 6}))
    answer_key = forms.SlugField(label=_("Answer naming the approver"), required=False, max_length=60,
                                 help_text=_("The key of a person question, e.g. folder_owner."))
    policy = forms.ChoiceField(label=_("Policy"), choices=ApprovalPolicy.choices, initial=ApprovalPolicy.ANY)
    threshold = forms.IntegerField(label=_("Threshold"), required=False, min_value=1, max_value=100,
                                   help_text=_("Approvals needed (quorum) or per cent (percentage)."))
    condition = JSONField(label=_("Only when"), help_text=_("Same grammar as question conditions; \"price\" is the "
                                                            "order's total."))
    timeout_hours = forms.IntegerField(label=_("Time out after (hours)"), required=False, min_value=1,
                                       max_value=24 * 90)
    timeout_action = forms.ChoiceField(label=_("On time-out"), required=False, choices=TimeoutAction.choices)
    escalate_to = forms.ModelChoiceField(label=_("Escalate to"), required=False,
                                         queryset=ApproverGroup.objects.filter(active=True).order_by("name"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _no_empty_choice(self)
        self.fields["people"].queryset = User.objects.filter(is_active=True).order_by("first_name", "last_name",
                                                                                        "username")

    def values(self) -> dict:
        values = {name: self.cleaned_data[name] for name in self.FIELDS}
        values["answer_key"] = values["answer_key"] or ""
        values["timeout_action"] = values["timeout_action"] or ""
        return values


class StateForm(forms.Form):
    state = forms.ChoiceField(choices=[("active", "active"), ("retired", "retired")])
