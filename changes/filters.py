"""FilterSets of changes, for the console and the API alike (same parameter names)."""

import django_filters as filters
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from esm.filters import ExistingIdsFilter
from servicedesk.filters import BoundedIsoDateTimeFilter, TicketFilterSet

from .choices import ChangeState, ChangeType, RiskLevel
from .models import ChangeLink


class ChangeFilterSet(TicketFilterSet):
    state = filters.MultipleChoiceFilter(distinct=False, choices=ChangeState.choices, label=_("State"))
    change_type = filters.MultipleChoiceFilter(distinct=False, field_name="change__change_type",
                                               choices=ChangeType.choices, label=_("Type"))
    risk_level = filters.MultipleChoiceFilter(distinct=False, field_name="change__risk_level",
                                              choices=RiskLevel.choices, label=_("Risk level"))
    change_manager_id = ExistingIdsFilter(distinct=False, field_name="change__change_manager",
                                          queryset=User.objects.all(), label=_("Change manager"))
    planned_after = BoundedIsoDateTimeFilter(field_name="change__planned_end", lookup_expr="gt",
                                             label=_("Planned to end after"))
    planned_before = BoundedIsoDateTimeFilter(field_name="change__planned_start", lookup_expr="lt",
                                              label=_("Planned to start before"))
    incident = filters.CharFilter(method="filter_incident", max_length=20,
                                  label=_("Linked to this incident or problem (number)"))

    def filter_incident(self, queryset, name, value):
        links = ChangeLink.objects.filter(change_id=OuterRef("pk"), ticket__number=value.strip().upper())
        return queryset.filter(Exists(links))
