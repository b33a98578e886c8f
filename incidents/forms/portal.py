"""Portal forms for incidents, in plain words: people describe how they are affected, not ITIL fields.

"How is your work affected?" becomes the urgency and "Who is affected?" the impact; the service
derives the priority from them.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from cmdb.models import ConfigurationItem
from esm.fields import SingleLineFormField
from esm.forms import ServiceErrorsMixin
from servicedesk.forms import MultipleFileField
from servicedesk.rendering import MAX_BODY_CHARS

from ..choices import Impact, Urgency

URGENCY_CHOICES = [
    (Urgency.HIGH, _("I can't work at all")),
    (Urgency.MEDIUM, _("I can work, but it's slowed down")),
    (Urgency.LOW, _("It can wait")),
]
IMPACT_CHOICES = [
    (Impact.LOW, _("Just me")),
    (Impact.MEDIUM, _("My team")),
    (Impact.HIGH, _("Many people / the whole company")),
]
MAX_EXPLANATION_CHARS = 5_000


class PortalForm(ServiceErrorsMixin, forms.Form):
    """Service errors on the field they name (an upload's on the attachments), the rest above the form."""

    service_error_aliases = {"file": "attachments"}
    service_error_names_unknown = False


class ReportForm(PortalForm):
    title = SingleLineFormField(
        label=_("What is wrong?"), max_length=200,
        help_text=_("A short summary, for example “I can't print” or “The VPN keeps disconnecting”."),
        error_messages={"required": _("Please tell us briefly what is wrong.")},
    )
    description = forms.CharField(
        label=_("Tell us more"), required=False, max_length=MAX_BODY_CHARS, widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What were you doing, what happened, and any error message you saw. "
                    "Formatting with Markdown works too."),
    )
    service = forms.ModelChoiceField(
        label=_("Which service is affected?"), queryset=ConfigurationItem.objects.none(), required=False,
        empty_label=_("I don't know"),
    )
    urgency = forms.TypedChoiceField(
        label=_("How is your work affected?"), choices=URGENCY_CHOICES, coerce=int, widget=forms.RadioSelect,
        error_messages={"required": _("Please choose one.")},
    )
    impact = forms.TypedChoiceField(
        label=_("Who is affected?"), choices=IMPACT_CHOICES, coerce=int, widget=forms.RadioSelect,
        error_messages={"required": _("Please choose one.")},
    )
    attachments = MultipleFileField(label=_("Screenshots or files"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = ConfigurationItem.objects.services().operational().order_by("name")
        self.fields["title"].widget.attrs.update(autofocus=True)


class ReplyForm(PortalForm):
    body = forms.CharField(
        label=_("Your reply"), max_length=MAX_BODY_CHARS, widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Write a message first.")},
    )
    attachments = MultipleFileField(label=_("Add files"))


class TicketActionForm(PortalForm):
    """A button on the ticket page. Carries the version the person saw, so a stale click is refused."""

    version = forms.IntegerField(min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)


class ReopenForm(TicketActionForm):
    explanation = forms.CharField(
        label=_("What is still not working?"), max_length=MAX_EXPLANATION_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Please tell us briefly what is still wrong, so we can help.")},
    )
