import django_filters as filters
from django import forms
from django.utils.translation import gettext_lazy as _

from servicedesk.filters import TicketFilterSet

from .choices import Channel, Impact, IncidentState, Urgency


class IncidentFilterSet(TicketFilterSet):
    state = filters.MultipleChoiceFilter(distinct=False, choices=IncidentState.choices, label=_("State"))
    impact = filters.MultipleChoiceFilter(
        distinct=False, field_name="incident__impact", choices=Impact.choices, label=_("Impact")
    )
    urgency = filters.MultipleChoiceFilter(
        distinct=False, field_name="incident__urgency", choices=Urgency.choices, label=_("Urgency")
    )
    channel = filters.MultipleChoiceFilter(
        distinct=False, field_name="incident__channel", choices=Channel.choices, label=_("Channel")
    )
    major = filters.BooleanFilter(
        field_name="incident__major", label=_("Major incident"), widget=forms.NullBooleanSelect
    )
    parent = filters.CharFilter(field_name="parent__number", label=_("Parent number"), max_length=16)
