"""Forms of the survey pages. They parse input; ``surveys.services`` validates and saves (rule 1)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from esm.forms import ServiceErrorsMixin

from .models import FollowUpState
from .services import MAX_COMMENT_CHARS

MAX_VERSION = 2**31 - 1

# The portal's words for each score: people choose a feeling, the number is stored.
SCORE_CHOICES = [
    (5, _("Very happy")),
    (4, _("Happy")),
    (3, _("Okay")),
    (2, _("Unhappy")),
    (1, _("Very unhappy")),
]


class AnswerForm(ServiceErrorsMixin, forms.Form):
    """The portal survey: a score as big buttons and a comment."""

    service_error_names_unknown = False

    score = forms.TypedChoiceField(
        label=_("How happy are you with how we handled your request?"), choices=SCORE_CHOICES, coerce=int,
        widget=forms.RadioSelect, error_messages={"required": _("Please choose one of the answers.")})
    comment = forms.CharField(
        label=_("Anything you would like to tell us?"), required=False, max_length=MAX_COMMENT_CHARS,
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
        help_text=_("What went well, or what we could do better."))


def _small(widget_class, **attrs):
    return widget_class(attrs={"class": "form-control form-control-sm", **attrs})


class PolicyForm(ServiceErrorsMixin, forms.Form):
    FIELDS = ("active", "delay_minutes", "sample_percent", "expiry_days", "comment_required_at_or_below")

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=MAX_VERSION, required=False)
    active = forms.BooleanField(label=_("Send surveys for this kind"), required=False, initial=True,
                                widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
    delay_minutes = forms.IntegerField(
        label=_("Delay after resolution (minutes)"), min_value=0, max_value=60 * 24 * 30, initial=0,
        help_text=_("How long after the resolution the invitation is e-mailed."), widget=_small(forms.NumberInput))
    sample_percent = forms.IntegerField(
        label=_("Sample (percent of resolved tickets)"), min_value=0, max_value=100, initial=100,
        help_text=_("Which share of resolved tickets gets a survey; the same ticket is always chosen the same way."),
        widget=_small(forms.NumberInput))
    expiry_days = forms.IntegerField(
        label=_("Link valid for (days)"), min_value=1, max_value=90, initial=14,
        help_text=_("After this the link no longer opens the survey."), widget=_small(forms.NumberInput))
    comment_required_at_or_below = forms.IntegerField(
        label=_("Comment required at or below score"), help_text=_("0: a comment is never required."),
        min_value=0, max_value=5, initial=2, widget=_small(forms.NumberInput))

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.FIELDS}


class FollowUpForm(ServiceErrorsMixin, forms.Form):
    state = forms.ChoiceField(
        label=_("Follow-up"), choices=[(FollowUpState.CONTACTED, FollowUpState.CONTACTED.label),
                                       (FollowUpState.CLOSED, FollowUpState.CLOSED.label)],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    note = forms.CharField(label=_("Note"), max_length=MAX_COMMENT_CHARS,
                           widget=_small(forms.Textarea, rows=3),
                           help_text=_("What was done or agreed with the requester."))
