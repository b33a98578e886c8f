"""FilterSets of the people and teams lists (API)."""

import django_filters as filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Team, User


class UserFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="filter_q", max_length=100, label=_("Search"),
                           help_text=_("Part of the username, name or e-mail address."))
    team_id = filters.ModelChoiceFilter(field_name="teams", queryset=Team.objects.all(), label=_("Team"))

    class Meta:
        model = User
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(username__icontains=value) | Q(first_name__icontains=value)
                               | Q(last_name__icontains=value) | Q(email__icontains=value))


class TeamFilterSet(filters.FilterSet):
    q = filters.CharFilter(field_name="name", lookup_expr="icontains", max_length=100, label=_("Search"))
    active = filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Team
        fields: list[str] = []
