"""Forms of the console's change pages. They parse input only; the change services decide."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Team, User
from cmdb.models import ConfigurationItem
from esm.fields import SingleLineFormField
from incidents.forms.desk import DeskForm, TicketNumberField, VersionedForm, follow_team
from servicedesk.rendering import MAX_BODY_CHARS

from ..choices import ChangeReason, ChangeState, ChangeType, ImplementationOutcome, LinkRelation
from ..models import ChangeTemplate, RiskQuestion

BLANK = [("", "—")]
YES_NO = [("", "—"), ("yes", _("Yes")), ("no", _("No"))]


class WindowInput(forms.DateTimeInput):
    """A browser date-and-time picker; the value is read in the person's time zone (rule 9)."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


def window_field(label, *, required: bool = False) -> forms.DateTimeField:
    return forms.DateTimeField(label=label, required=required, widget=WindowInput(),
                               input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"])


def text_area(label, *, rows: int = 3, required: bool = False) -> forms.CharField:
    return forms.CharField(label=label, required=required, max_length=MAX_BODY_CHARS,
                           widget=forms.Textarea(attrs={"rows": rows}))


def change_manager_queryset():
    """People who may manage a change: active desk staff (the service checks the permission)."""
    return User.objects.filter(is_active=True, groups__permissions__codename="work_ticket").distinct()


class WindowCheckMixin:
    """Planned end after planned start, said next to the field rather than by the database."""

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("planned_start"), cleaned.get("planned_end")
        if start and end and end <= start:
            self.add_error("planned_end", _("The planned end must be after the planned start."))
        return cleaned


class RiskAnswersMixin:
    """One yes/no select per active risk question, named ``q<id>``; ``risk_answers()`` gives {id: bool}."""

    def add_risk_fields(self, questions, answers: dict | None = None, required: bool = False) -> None:
        self.risk_questions = list(questions)
        answers = answers or {}
        for question in self.risk_questions:
            name = f"q{question.pk}"
            # The shipped questions are translated; a text an administrator wrote shows as written.
            self.fields[name] = forms.ChoiceField(label=gettext(question.text), choices=YES_NO, required=required,
                                                  help_text=gettext(question.help_text) if question.help_text else "")
            self.fields[name].widget.attrs["class"] = "form-select form-select-sm"
            given = answers.get(str(question.pk), answers.get(question.pk))
            if given is not None:
                self.initial.setdefault(name, "yes" if given else "no")

    def risk_fields(self):
        return [self[f"q{q.pk}"] for q in self.risk_questions]

    def risk_answers(self) -> dict[str, bool]:
        return {str(q.pk): self.cleaned_data[f"q{q.pk}"] == "yes" for q in self.risk_questions
                if self.cleaned_data.get(f"q{q.pk}")}


def active_questions():
    return RiskQuestion.objects.filter(active=True).order_by("order", "id")


class ChangeCreateForm(WindowCheckMixin, RiskAnswersMixin, DeskForm):
    """Raise a change: from scratch, from a standard template (``template``) or from an incident."""

    change_type = forms.ChoiceField(label=_("Type"), choices=ChangeType.choices, initial=ChangeType.NORMAL)
    title = SingleLineFormField(label=_("Title"), max_length=200)
    description = text_area(_("Description"), rows=4)
    reason = forms.ChoiceField(label=_("Reason"), choices=ChangeReason.choices, initial=ChangeReason.MAINTENANCE)
    justification = text_area(_("Business justification"))
    implementation_plan = text_area(_("Implementation plan"), rows=4)
    backout_plan = text_area(_("Back-out plan"))
    test_plan = text_area(_("Test plan"))
    service = forms.ModelChoiceField(label=_("Service"), queryset=ConfigurationItem.objects.none(), required=False)
    team = forms.ModelChoiceField(label=_("Implementing team"), queryset=Team.objects.filter(active=True),
                                  required=False)
    assignee = forms.ModelChoiceField(label=_("Implementer"), queryset=User.objects.filter(is_active=True),
                                      required=False)
    change_manager = forms.ModelChoiceField(label=_("Change manager"), queryset=User.objects.none(),
                                            required=False)
    planned_start = window_field(_("Planned start"))
    planned_end = window_field(_("Planned end"))
    cis = forms.ModelMultipleChoiceField(label=_("Configuration items"), queryset=ConfigurationItem.objects.all(),
                                         required=False, widget=forms.MultipleHiddenInput)
    template = forms.ModelChoiceField(queryset=ChangeTemplate.objects.filter(active=True), required=False,
                                      widget=forms.HiddenInput)
    incident = TicketNumberField(required=False, widget=forms.HiddenInput)

    SERVICE_FIELDS = ("change_type", "title", "description", "reason", "justification", "implementation_plan",
                      "backout_plan", "test_plan", "service", "team", "assignee", "change_manager",
                      "planned_start", "planned_end")

    def __init__(self, *args, questions=None, **kwargs):
        super().__init__(*args, **kwargs)
        from incidents.forms.desk import service_queryset

        self.fields["service"].queryset = service_queryset()
        self.fields["change_manager"].queryset = change_manager_queryset()
        follow_team(self)
        self.add_risk_fields(active_questions() if questions is None else questions)

    def clean(self):
        cleaned = super().clean()
        template = cleaned.get("template")
        if template is not None:
            cleaned["change_type"] = ChangeType.STANDARD
        elif cleaned.get("change_type") == ChangeType.STANDARD:
            self.add_error("change_type", _("A standard change is raised from a standard change template."))
        return cleaned

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {**{name: data[name] for name in self.SERVICE_FIELDS}, "cis": list(data["cis"]),
                "template": data["template"], "risk_answers": self.risk_answers()}

    def selected_cis(self) -> list[ConfigurationItem]:
        """The CIs picked so far (kept when the form comes back with errors)."""
        ids = [v for v in (self["cis"].value() or []) if str(v).isdigit() and len(str(v)) < 18][:100]
        return list(ConfigurationItem.objects.filter(pk__in=ids).select_related("ci_class").order_by("name"))


class ChangeEditForm(WindowCheckMixin, VersionedForm):
    FIELDS = ("title", "description", "reason", "justification", "implementation_plan", "backout_plan",
              "test_plan", "service", "change_manager", "planned_start", "planned_end")

    title = SingleLineFormField(label=_("Title"), max_length=200)
    description = text_area(_("Description"), rows=4)
    reason = forms.ChoiceField(label=_("Reason"), choices=ChangeReason.choices)
    justification = text_area(_("Business justification"))
    implementation_plan = text_area(_("Implementation plan"), rows=4)
    backout_plan = text_area(_("Back-out plan"))
    test_plan = text_area(_("Test plan"))
    service = forms.ModelChoiceField(label=_("Service"), queryset=ConfigurationItem.objects.none(), required=False)
    change_manager = forms.ModelChoiceField(label=_("Change manager"), queryset=User.objects.none(),
                                            required=False)
    planned_start = window_field(_("Planned start"))
    planned_end = window_field(_("Planned end"))

    def __init__(self, *args, ticket, **kwargs):
        self.ticket = ticket
        if not args and "data" not in kwargs:
            kwargs.setdefault("initial", self.current(ticket) | {"version": ticket.version})
        super().__init__(*args, **kwargs)
        from incidents.forms.desk import service_queryset

        self.fields["service"].queryset = service_queryset()
        self.fields["change_manager"].queryset = change_manager_queryset()

    @staticmethod
    def current(ticket) -> dict:
        change = ticket.change
        return {"title": ticket.title, "description": ticket.description, "reason": change.reason,
                "justification": change.justification, "implementation_plan": change.implementation_plan,
                "backout_plan": change.backout_plan, "test_plan": change.test_plan,
                "service": ticket.service_id, "change_manager": change.change_manager_id,
                "planned_start": change.planned_start, "planned_end": change.planned_end}

    def changes(self) -> dict:
        """Only what the person changed: an untouched field is never re-validated or re-written."""
        current = self.current(self.ticket)
        out = {}
        for name in self.FIELDS:
            value = self.cleaned_data[name]
            compared = value.pk if hasattr(value, "pk") else value
            if compared != current[name]:
                out[name] = value
        return out


class ChangeTransitionForm(WindowCheckMixin, VersionedForm):
    """One form per offered move; the page shows the fields that move requires."""

    to = forms.ChoiceField(choices=ChangeState.choices, widget=forms.HiddenInput)
    planned_start = window_field(_("Planned start"))
    planned_end = window_field(_("Planned end"))
    outcome = forms.ChoiceField(label=_("Outcome"), choices=BLANK + ImplementationOutcome.choices, required=False)
    review_notes = text_area(_("Lessons learned"))
    reason = text_area(_("Reason"), rows=2)
    override_reason = text_area(_("Override reason"), rows=2)
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


class RiskForm(RiskAnswersMixin, VersionedForm):
    def __init__(self, *args, questions=None, answers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_risk_fields(active_questions() if questions is None else questions, answers, required=True)


class LinkForm(VersionedForm):
    number = TicketNumberField(label=_("Incident or problem number"))
    relation = forms.ChoiceField(label=_("Relation"), choices=LinkRelation.choices,
                                 initial=LinkRelation.ADDRESSES)


