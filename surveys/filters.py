"""FilterSet of survey results, for the API (the console's low-score queue filters by follow-up state only)."""

import django_filters as filters
from django.utils.translation import gettext_lazy as _

from accounts.models import Team, User
from cmdb.models import ConfigurationItem
from esm.filters import ExistingIdsFilter
from servicedesk.filters import BoundedIsoDateTimeFilter

from .models import LOW_SCORE, SCORE_MAX, SCORE_MIN, FollowUpState, Survey


class SurveyResultFilterSet(filters.FilterSet):
    team_id = ExistingIdsFilter(distinct=False, field_name="team", queryset=Team.objects.all(), label=_("Team"))
    agent_id = ExistingIdsFilter(distinct=False, field_name="agent", queryset=User.objects.all(), label=_("Agent"))
    service_id = ExistingIdsFilter(distinct=False, field_name="service", queryset=ConfigurationItem.objects.all(),
                                   label=_("Service"))
    kind = filters.CharFilter(field_name="kind", max_length=20, label=_("Kind of ticket"))
    score_max = filters.NumberFilter(field_name="score", lookup_expr="lte", min_value=SCORE_MIN, max_value=SCORE_MAX,
                                     label=_("Score at most"))
    low = filters.BooleanFilter(method="filter_low", label=_("Only low scores (2 or less)"))
    followup_state = filters.ChoiceFilter(choices=FollowUpState.choices, label=_("Follow-up"))
    answered_after = BoundedIsoDateTimeFilter(field_name="answered_at", lookup_expr="gte", label=_("Answered from"))
    answered_before = BoundedIsoDateTimeFilter(field_name="answered_at", lookup_expr="lt", label=_("Answered before"))

    class Meta:
        model = Survey
        fields: list[str] = []

    def filter_low(self, queryset, name, value):
        return queryset.filter(score__lte=LOW_SCORE) if value else queryset.filter(score__gt=LOW_SCORE)
