"""API: business services (read-only reference data for reporting and routing incidents)."""

import django_filters as filters
from django.utils.translation import gettext_lazy as _

from accounts.api.views import ReadOnlyReferenceViewSet, reference_schema
from accounts.models import Team
from cmdb.choices import Criticality
from cmdb.models import ConfigurationItem

from .serializers import ServiceSerializer


class ServiceFilterSet(filters.FilterSet):
    q = filters.CharFilter(field_name="name", lookup_expr="icontains", max_length=100, label=_("Search"))
    support_team_id = filters.ModelChoiceFilter(field_name="support_team", queryset=Team.objects.all(),
                                                label=_("Support team"))
    criticality = filters.MultipleChoiceFilter(choices=Criticality.choices, label=_("Criticality"))

    class Meta:
        model = ConfigurationItem
        fields: list[str] = []


@reference_schema(ServiceSerializer, "business service", "business services")
class ServiceViewSet(ReadOnlyReferenceViewSet):
    queryset = ConfigurationItem.objects.none()
    serializer_class = ServiceSerializer
    filterset_class = ServiceFilterSet

    def get_queryset(self):
        return ConfigurationItem.objects.services().select_related("owner", "owner_team", "support_team")
