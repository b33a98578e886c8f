"""Console forms for service level managers: SLA definitions (targets, escalation rules) and business
calendars (weekly hours, closed dates and extra working days).

The forms only parse what people typed; every rule is checked by ``sla.services`` (the same calls
as the API), whose ValidationErrors come back onto these forms.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, Team
from cmdb.models import ConfigurationItem
from esm.fields import SingleLineFormField
from esm.forms import ServiceErrorsMixin, add_service_errors
from servicedesk.choices import Priority, TicketKind
from servicedesk.models import Category

from .choices import WEEKDAYS, AgreementType, DateKind, EscalationAction, Metric
from .models import Calendar, EscalationRule

BLANK = [("", "—")]
NESTED = ("escalations", "hours", "dates")


class SlaForm(ServiceErrorsMixin, forms.Form):
    """Compact Bootstrap controls; service errors shown on the field they name, the rest above."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, (forms.CheckboxInput, forms.HiddenInput, forms.CheckboxSelectMultiple)):
                continue
            css = "form-select form-select-sm" if isinstance(widget, forms.Select | forms.SelectMultiple) \
                else "form-control form-control-sm"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    service_error_names_unknown = False

    def add_service_errors(self, exc: ValidationError, aliases: dict[str, str] | None = None, *, skip=()) -> None:
        if hasattr(exc, "error_dict"):
            # "hours.2.weekday" → a message above the form naming the row (rows are numbered from 1).
            plain = {}
            for key, messages in exc.message_dict.items():
                head, _sep, rest = key.partition(".")
                if head in NESTED and rest:
                    row = rest.split(".")[0]
                    label = _("row %(n)s") % {"n": int(row) + 1} if row.isdigit() else rest
                    for message in messages:
                        self.add_error(None, f"{self.nested_labels().get(head, head)}, {label}: {message}")
                else:
                    plain[key] = messages
            exc = ValidationError(plain) if plain else None
        if exc is not None:
            add_service_errors(self, exc, aliases, skip=skip, name_unknown=False)

    def nested_labels(self) -> dict:
        return {"escalations": _("Escalation rules"), "hours": _("Working hours"), "dates": _("Dates")}


def _split(text: str) -> list[str]:
    return [part.strip() for part in (text or "").replace("\n", ",").split(",") if part.strip()]


class DefinitionForm(SlaForm):
    version = forms.CharField(widget=forms.HiddenInput, required=False)
    name = SingleLineFormField(label=_("Name"), max_length=120)
    type = forms.ChoiceField(label=_("Type"), choices=AgreementType.choices)
    order = forms.IntegerField(label=_("Order"), min_value=0, max_value=2_147_483_647,
                               help_text=_("Lower numbers are tried first; the first match applies."))
    active = forms.BooleanField(label=_("Active"), required=False)
    description = SingleLineFormField(label=_("Description"), max_length=300, required=False)
    calendar = forms.ModelChoiceField(label=_("Calendar"), queryset=Calendar.objects.order_by("name"))
    response_minutes = forms.IntegerField(label=_("Response target (business minutes)"), required=False,
                                          min_value=1, max_value=10 * 365 * 24 * 60)
    resolution_minutes = forms.IntegerField(label=_("Resolution target (business minutes)"), required=False,
                                            min_value=1, max_value=10 * 365 * 24 * 60)
    kinds = forms.MultipleChoiceField(label=_("Ticket kinds"), choices=TicketKind.choices, required=False,
                                      widget=forms.CheckboxSelectMultiple, help_text=_("None: any kind."))
    priorities = forms.TypedMultipleChoiceField(label=_("Priorities"), choices=[(p, f"P{p}") for p in Priority.values],
                                                coerce=int, required=False, widget=forms.CheckboxSelectMultiple,
                                                help_text=_("None: any priority."))
    services = forms.ModelMultipleChoiceField(label=_("Services"), required=False,
                                              queryset=ConfigurationItem.objects.services().order_by("name"))
    categories = forms.ModelMultipleChoiceField(label=_("Categories"), required=False,
                                                queryset=Category.objects.filter(active=True).select_related("parent"))
    organisations = forms.ModelMultipleChoiceField(label=_("Requester's organisations"), required=False,
                                                   queryset=Organisation.objects.order_by("name"))
    teams = forms.ModelMultipleChoiceField(label=_("Teams (OLA)"), required=False,
                                           queryset=Team.objects.filter(active=True).order_by("name"))
    pause_on = forms.CharField(label=_("Paused in states"), required=False,
                               help_text=_("Comma-separated, state or state:reason, e.g. on_hold:awaiting_caller."))
    run_on = forms.CharField(label=_("Counted only in states (UC)"), required=False)
    warn_at = forms.CharField(label=_("Warning thresholds (%)"), required=False, help_text=_("e.g. 50, 75, 90"))

    def clean_warn_at(self):
        try:
            return [int(v) for v in _split(self.cleaned_data["warn_at"])]
        except ValueError:
            raise ValidationError(_("Write whole percentages separated by commas.")) from None

    def clean_pause_on(self):
        return _split(self.cleaned_data["pause_on"])

    def clean_run_on(self):
        return _split(self.cleaned_data["run_on"])

    @staticmethod
    def initial_for(definition) -> dict:
        targets = {t.metric: t.seconds for t in definition.targets.all()}
        return {
            "name": definition.name, "type": definition.type, "order": definition.order,
            "active": definition.active, "description": definition.description, "calendar": definition.calendar_id,
            "response_minutes": targets[Metric.RESPONSE] // 60 if Metric.RESPONSE in targets else None,
            "resolution_minutes": targets[Metric.RESOLUTION] // 60 if Metric.RESOLUTION in targets else None,
            "kinds": definition.kinds, "priorities": definition.priorities,
            "services": list(definition.services.all()), "categories": list(definition.categories.all()),
            "organisations": list(definition.organisations.all()), "teams": list(definition.teams.all()),
            "pause_on": ", ".join(definition.pause_on), "run_on": ", ".join(definition.run_on),
            "warn_at": ", ".join(str(p) for p in definition.warn_at),
        }

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version")
        targets = {metric: minutes * 60 for metric, minutes in ((Metric.RESPONSE, data.pop("response_minutes")),
                                                                (Metric.RESOLUTION, data.pop("resolution_minutes")))
                   if minutes}
        return {**data, "targets": targets}


class EscalationRuleForm(SlaForm):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    metric = forms.ChoiceField(label=_("Metric"), choices=[("", _("both"))] + Metric.choices, required=False)
    threshold = forms.IntegerField(label=_("At (%)"), required=False, help_text=_("100 is the breach."))
    action = forms.ChoiceField(label=_("Action"), choices=BLANK + EscalationAction.choices, required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.filter(active=True).order_by("name"),
                                  required=False)
    active = forms.BooleanField(label=_("Active"), required=False)

    def as_rule(self) -> dict | None:
        """The rule for the service, or None for an empty new row."""
        data = self.cleaned_data
        if not data or (not data.get("id") and not data.get("action")):
            return None
        return {"id": data.get("id"), "metric": data.get("metric") or "", "threshold": data.get("threshold"),
                "action": data.get("action") or "", "team": data.get("team"), "active": bool(data.get("active"))}

    @staticmethod
    def initial_for(rule: EscalationRule) -> dict:
        return {"id": rule.pk, "metric": rule.metric, "threshold": rule.threshold, "action": rule.action,
                "team": rule.team_id, "active": rule.active}


class CalendarForm(SlaForm):
    version = forms.CharField(widget=forms.HiddenInput, required=False)
    name = SingleLineFormField(label=_("Name"), max_length=120)
    time_zone = forms.CharField(label=_("Time zone"), max_length=64, help_text=_("e.g. Asia/Seoul, Europe/London"))
    holiday_country = forms.CharField(label=_("Public holidays of (country code)"), max_length=3, required=False,
                                      help_text=_("ISO code understood by the holidays package, e.g. KR, US, GB."))
    holiday_subdivision = forms.CharField(label=_("Subdivision"), max_length=10, required=False)
    description = SingleLineFormField(label=_("Description"), max_length=300, required=False)

    @staticmethod
    def initial_for(calendar: Calendar) -> dict:
        return {name: getattr(calendar, name) for name in ("name", "time_zone", "holiday_country",
                                                           "holiday_subdivision", "description")}


class HoursForm(SlaForm):
    weekday = forms.TypedChoiceField(label=_("Weekday"), choices=BLANK + WEEKDAYS, coerce=int, empty_value=None,
                                     required=False)
    start = forms.TimeField(label=_("From"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(label=_("Until"), required=False, widget=forms.TimeInput(attrs={"type": "time"}),
                          help_text=_("The same as the start: 24 hours; earlier: runs past midnight."))

    def as_hours(self) -> tuple | None:
        data = self.cleaned_data
        if not data or data.get("weekday") is None and not data.get("start") and not data.get("end"):
            return None
        return (data.get("weekday"), data.get("start"), data.get("end"))


class DateForm(SlaForm):
    date = forms.DateField(label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=DateKind.choices, required=False)
    start = forms.TimeField(label=_("From"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(label=_("Until"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    note = SingleLineFormField(label=_("Note"), max_length=120, required=False)

    def as_date(self) -> dict | None:
        data = self.cleaned_data
        if not data or not data.get("date") and not data.get("start") and not data.get("note"):
            return None
        return {"date": data.get("date"), "kind": data.get("kind") or DateKind.CLOSED, "start": data.get("start"),
                "end": data.get("end"), "note": data.get("note", "")}


# Two empty rows to add to; more after saving (no script adds rows: the page works without JavaScript).
EscalationFormSet = forms.formset_factory(EscalationRuleForm, extra=2, max_num=50, absolute_max=60)
HoursFormSet = forms.formset_factory(HoursForm, extra=2, max_num=60, absolute_max=70)
DateFormSet = forms.formset_factory(DateForm, extra=2, max_num=400, absolute_max=420)
