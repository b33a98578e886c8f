"""Forms of the console's incident pages. They parse input only; the services decide."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Team, User
from cmdb.models import ConfigurationItem
from esm.fields import SingleLineFormField
from esm.forms import ServiceErrorsMixin
from esm.widgets import speed_up
from servicedesk.models import Category, Ticket
from servicedesk.rendering import MAX_BODY_CHARS

from ..choices import Channel, Impact, IncidentState, OnHoldReason, ResolutionCode, Urgency

BLANK = [("", "—")]
MAX_VERSION = 2**31 - 1


class DeskForm(ServiceErrorsMixin, forms.Form):
    """Compact Bootstrap controls for dense console pages."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for bound in self.fields.values():
            if isinstance(bound, forms.ModelChoiceField):
                bound.empty_label = "—"
            widget = bound.widget
            if isinstance(widget, (forms.Select, forms.SelectMultiple)):
                css = "form-select form-select-sm"
            elif isinstance(widget, (forms.CheckboxInput, forms.HiddenInput, forms.RadioSelect)):
                continue
            else:
                css = "form-control form-control-sm"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
        speed_up(self)


class VersionedForm(DeskForm):
    """Carries the ticket version the agent saw, so that a stale save is refused (docs/architecture.md, rule 3)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=MAX_VERSION)


def category_queryset(current: Category | None = None):
    condition = Q(active=True) | Q(pk=current.pk) if current else Q(active=True)
    return Category.objects.filter(condition).select_related("parent")


def service_queryset():
    return ConfigurationItem.objects.services().select_related("ci_class")


class IncidentEditForm(VersionedForm):
    FIELDS = ("title", "description", "impact", "urgency", "category", "service", "channel")

    title = SingleLineFormField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, max_length=MAX_BODY_CHARS,
                                  widget=forms.Textarea(attrs={"rows": 5}))
    impact = forms.TypedChoiceField(label=_("Impact"), choices=Impact.choices, coerce=int)
    urgency = forms.TypedChoiceField(label=_("Urgency"), choices=Urgency.choices, coerce=int)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none(), required=False)
    service = forms.ModelChoiceField(label=_("Service"), queryset=ConfigurationItem.objects.none(),
                                     required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)

    def __init__(self, *args, ticket: Ticket, **kwargs):
        self.ticket = ticket
        if not args and "data" not in kwargs:
            kwargs.setdefault("initial", self.initial_for(ticket))
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = category_queryset(ticket.category)
        self.fields["service"].queryset = service_queryset()

    @staticmethod
    def initial_for(ticket: Ticket) -> dict:
        incident = ticket.incident
        return {
            "version": ticket.version, "title": ticket.title, "description": ticket.description,
            "impact": incident.impact, "urgency": incident.urgency, "category": ticket.category_id,
            "service": ticket.service_id, "channel": incident.channel,
        }

    def changes(self) -> dict:
        """Only what the agent changed: an untouched field is never re-validated or re-written."""
        current = {
            "title": self.ticket.title, "description": self.ticket.description,
            "impact": self.ticket.incident.impact, "urgency": self.ticket.incident.urgency,
            "category": self.ticket.category, "service": self.ticket.service,
            "channel": self.ticket.incident.channel,
        }
        return {name: self.cleaned_data[name] for name in self.FIELDS if self.cleaned_data[name] != current[name]}


def follow_team(form: forms.Form) -> None:
    """With htmx, the assignee select reloads with the members of the team chosen next to it."""
    form.fields["team"].widget.attrs.update({
        "hx-get": reverse("desk:team_members"), "hx-trigger": "change",
        "hx-target": f"#{form['assignee'].auto_id}", "hx-swap": "innerHTML",
    })


class TransitionForm(VersionedForm):
    to = forms.ChoiceField(choices=IncidentState.choices, widget=forms.HiddenInput)
    resolution_code = forms.ChoiceField(label=_("Resolution code"), choices=BLANK + ResolutionCode.choices,
                                        required=False)
    resolution_notes = forms.CharField(label=_("Resolution notes"), required=False, max_length=MAX_BODY_CHARS,
                                       widget=forms.Textarea(attrs={"rows": 3}))
    on_hold_reason = forms.ChoiceField(label=_("Reason"), choices=BLANK + OnHoldReason.choices, required=False)
    # Destructive steps (cancel) are taken only from their confirmation form, which sends ``confirmed``.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)
    note = forms.CharField(label=_("Reason (the requester sees it)"), required=False, max_length=MAX_BODY_CHARS,
                           widget=forms.Textarea(attrs={"rows": 2}))


class AssignForm(VersionedForm):
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.filter(active=True))
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=User.objects.filter(is_active=True),
                                      required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        follow_team(self)


class EscalateForm(VersionedForm):
    LEVELS = [("functional", _("To another team")), ("hierarchical", _("To the team lead"))]

    level = forms.ChoiceField(choices=LEVELS, widget=forms.HiddenInput)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.filter(active=True), required=False)
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class MajorForm(VersionedForm):
    major = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1",
                                   widget=forms.HiddenInput)


class TicketNumberField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 16)
        super().__init__(**kwargs)

    def to_python(self, value):
        return super().to_python(value).strip().upper()


class ParentForm(VersionedForm):
    parent = TicketNumberField(label=_("Parent incident"), required=False,
                               help_text=_("Leave empty to remove the parent."))

    def clean_parent(self):
        return _incident_by_number(self.cleaned_data["parent"]) if self.cleaned_data["parent"] else None


class MergeForm(VersionedForm):
    into = TicketNumberField(label=_("Merge into"))

    def clean_into(self):
        return _incident_by_number(self.cleaned_data["into"])


def _incident_by_number(number: str) -> Ticket:
    ticket = Ticket.objects.filter(number=number).first()
    if ticket is None:
        raise ValidationError(_("There is no ticket %(number)s.") % {"number": number})
    return ticket


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class CommentForm(DeskForm):
    MAX_FILES = 10
    VISIBILITY = [("note", _("Work note (agents only)")), ("public", _("Reply to the requester"))]

    visibility = forms.ChoiceField(choices=VISIBILITY, initial="note", widget=forms.RadioSelect)
    body = forms.CharField(label=_("Message"), max_length=MAX_BODY_CHARS,
                           widget=forms.Textarea(attrs={"rows": 3}))
    minutes = forms.IntegerField(label=_("Time spent (minutes)"), required=False, min_value=1, max_value=24 * 60)
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    def clean_attachments(self):
        files = self.cleaned_data["attachments"]
        if len(files) > self.MAX_FILES:
            raise ValidationError(_("Attach at most %(n)s files at once.") % {"n": self.MAX_FILES})
        return files

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("minutes") and cleaned.get("visibility") == "public":
            self.add_error("minutes", _("Time is recorded with a work note, not with a reply."))
        return cleaned

    @property
    def public(self) -> bool:
        return self.cleaned_data["visibility"] == "public"



class IncidentCreateForm(DeskForm):
    """Open an incident on behalf of a caller. The requester comes from a search (``requester_q``)."""

    requester = forms.ModelChoiceField(label=_("Caller"), queryset=User.objects.filter(is_active=True),
                                       widget=forms.HiddenInput,
                                       error_messages={"required": _("Search for the caller and pick them.")})
    requester_q = forms.CharField(label=_("Caller"), required=False, max_length=100)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    title = SingleLineFormField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, max_length=MAX_BODY_CHARS,
                                  widget=forms.Textarea(attrs={"rows": 5}))
    impact = forms.TypedChoiceField(label=_("Impact"), choices=Impact.choices, coerce=int, initial=Impact.LOW)
    urgency = forms.TypedChoiceField(label=_("Urgency"), choices=Urgency.choices, coerce=int,
                                     initial=Urgency.MEDIUM)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none(), required=False)
    service = forms.ModelChoiceField(label=_("Service"), queryset=ConfigurationItem.objects.none(),
                                     required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.filter(active=True), required=False,
                                  help_text=_("Empty: the service's support team, if it has one."))
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=User.objects.filter(is_active=True),
                                      required=False)
    cis = forms.ModelMultipleChoiceField(label=_("Affected CIs"), queryset=ConfigurationItem.objects.all(),
                                         required=False, widget=forms.MultipleHiddenInput)

    SERVICE_FIELDS = ("requester", "channel", "title", "description", "impact", "urgency", "category", "service",
                      "team", "assignee")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = category_queryset()
        self.fields["service"].queryset = service_queryset()
        follow_team(self)

    def service_kwargs(self) -> dict:
        return {**{name: self.cleaned_data[name] for name in self.SERVICE_FIELDS},
                "cis": list(self.cleaned_data["cis"])}

    def selected_cis(self) -> list[ConfigurationItem]:
        """The CIs picked so far (kept when the form comes back with errors)."""
        ids = [v for v in (self["cis"].value() or []) if str(v).isdigit() and len(str(v)) < 18][:100]
        return list(ConfigurationItem.objects.filter(pk__in=ids).select_related("ci_class").order_by("name"))


def attachment_limits() -> dict:
    return {"max_mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024),
            "extensions": ", ".join(settings.ATTACHMENT_ALLOWED_EXTENSIONS)}
