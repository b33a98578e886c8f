"""FilterSets of the problem list and the known-error database (API parameter names)."""

import django_filters as filters
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cmdb.models import ConfigurationItem
from esm.filters import ExistingIdsFilter
from servicedesk.models import Category
from servicedesk.queries import search_tickets

from .choices import KnownErrorStatus, ProblemState
from .queries import search_known_errors

MAX_SEARCH_CHARS = 200


class ProblemFilterSet(filters.FilterSet):
    state = filters.MultipleChoiceFilter(choices=ProblemState.choices, distinct=False)
    active = filters.BooleanFilter()
    problem_manager_id = ExistingIdsFilter(field_name="problem__problem_manager",
                                           queryset=User.objects.all(), distinct=False)
    service_id = ExistingIdsFilter(field_name="service", queryset=ConfigurationItem.objects.all(), distinct=False)
    q = filters.CharFilter(method="search", max_length=MAX_SEARCH_CHARS,
                           help_text=_("Words (English or Korean) of the title, description and notes, or a number."))

    def search(self, queryset, name, value):
        return search_tickets(queryset, value, internal=True)


class KnownErrorFilterSet(filters.FilterSet):
    status = filters.ChoiceFilter(choices=KnownErrorStatus.choices)
    ci_id = ExistingIdsFilter(field_name="cis", queryset=ConfigurationItem.objects.all(), distinct=True)
    service_id = ExistingIdsFilter(field_name="services", queryset=ConfigurationItem.objects.all(), distinct=True)
    category_id = ExistingIdsFilter(field_name="category", queryset=Category.objects.all(), distinct=False)
    q = filters.CharFilter(method="search", max_length=MAX_SEARCH_CHARS,
                           help_text=_("Words of the title, symptoms, root cause and workaround (English or Korean)."))

    def search(self, queryset, name, value):
        return search_known_errors(queryset, value) if value.strip() else queryset
