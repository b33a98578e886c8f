"""Filters of the request and task lists, for the console and the API alike (same parameter names)."""

import django_filters

from servicedesk.models import Ticket

from .choices import RequestState, TaskState


class RequestFilterSet(django_filters.FilterSet):
    # distinct=False: a filter on the ticket row needs no DISTINCT, which would cost the index order.
    state = django_filters.MultipleChoiceFilter(choices=RequestState.choices, distinct=False)
    active = django_filters.BooleanFilter()
    requested_for = django_filters.NumberFilter(field_name="service_request__requested_for_id")

    class Meta:
        model = Ticket
        fields = ["state", "active", "requested_for"]


class TaskFilterSet(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=TaskState.choices, distinct=False)
    active = django_filters.BooleanFilter()
    team = django_filters.NumberFilter(field_name="team_id")
    assignee = django_filters.NumberFilter(field_name="assignee_id")
    unassigned = django_filters.BooleanFilter(field_name="assignee", lookup_expr="isnull")

    class Meta:
        model = Ticket
        fields = ["state", "active", "team", "assignee", "unassigned"]
