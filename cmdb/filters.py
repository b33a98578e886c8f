"""One FilterSet for CI lists, used by the console list and the API alike (same parameter names).

``attribute=key:value`` (repeatable, all must match) filters on attribute values: the value is
read with the type the classes declare for that key, and matched by JSON containment, which the
GIN index on ``attributes`` serves.
"""

import re

import django_filters as filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from esm.filters import MAX_ID

from .attributes import AttributeDef, ClassCatalogue, coerce_value
from .choices import Criticality, Environment, LifecycleStatus
from .models import CIClass, ConfigurationItem, RedundancyGroup, Relationship, RelationshipType

ATTRIBUTE_FILTER_RE = re.compile(r"^[a-z][a-z0-9_]{0,59}:.{1,200}$", re.DOTALL)
MAX_ATTRIBUTE_FILTERS = 5


class AttributeFilterField(forms.CharField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 261)
        super().__init__(*args, **kwargs)

    def validate(self, value):
        super().validate(value)
        if value and (not ATTRIBUTE_FILTER_RE.match(value) or "\x00" in value):
            raise forms.ValidationError(_("Write key:value, e.g. os:linux."))


class AttributeFilter(filters.CharFilter):
    field_class = AttributeFilterField


def attribute_condition(catalogue: ClassCatalogue, key: str, raw: str) -> Q | None:
    """Containment on every type the classes declare for ``key``; None when no value can match."""
    condition = None
    for kind in sorted(catalogue.types_of_key(key)):
        try:
            value = coerce_value(AttributeDef(key, key, kind, False, (), "", 0), raw)
        except ValueError:
            continue
        part = Q(attributes__contains={key: value})
        condition = part if condition is None else condition | part
    return condition


class CIFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="filter_q", max_length=100, label=_("Search"),
                           help_text=_("Part of the name."))
    ci_class = filters.CharFilter(method="filter_class", max_length=60, label=_("Class"),
                                  help_text=_("Class key, e.g. server; includes its subclasses."))
    status = filters.MultipleChoiceFilter(distinct=False, choices=LifecycleStatus.choices, label=_("Status"))
    environment = filters.MultipleChoiceFilter(distinct=False, choices=Environment.choices, label=_("Environment"))
    criticality = filters.MultipleChoiceFilter(distinct=False, choices=Criticality.choices, label=_("Criticality"))
    support_team_id = filters.ModelChoiceFilter(field_name="support_team", queryset=Team.objects.all(),
                                                label=_("Support team"))
    owner_team_id = filters.ModelChoiceFilter(field_name="owner_team", queryset=Team.objects.all(),
                                              label=_("Owner team"))
    team_id = filters.ModelChoiceFilter(method="filter_team", field_name="support_team", queryset=Team.objects.all(),
                                        label=_("Team"), help_text=_("Owner or support team."))
    source = filters.CharFilter(max_length=60, label=_("Source"))
    external_id = filters.CharFilter(max_length=200, label=_("External id"), help_text=_("Exact; with source."))
    stale = filters.BooleanFilter(field_name="stale_since", lookup_expr="isnull", exclude=True,
                                  label=_("Stale"), widget=forms.NullBooleanSelect)
    attribute = AttributeFilter(method="filter_attribute", label=_("Attribute"),
                                help_text=_("key:value, e.g. os:linux. Repeat the parameter to combine (up to 5)."))

    class Meta:
        model = ConfigurationItem
        fields: list[str] = []

    def __init__(self, *args, catalogue: ClassCatalogue | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._catalogue = catalogue

    @property
    def catalogue(self) -> ClassCatalogue:
        if self._catalogue is None:
            self._catalogue = ClassCatalogue()
        return self._catalogue

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(name__icontains=value)

    def filter_class(self, queryset, name, value):
        ci_class = self.catalogue.by_slug.get(value.strip())
        if ci_class is None:
            return queryset.none()
        return queryset.filter(ci_class_id__in=self.catalogue.descendants(ci_class.pk))

    def filter_team(self, queryset, name, value):
        return queryset.filter(Q(support_team=value) | Q(owner_team=value))

    def filter_attribute(self, queryset, name, value):
        values = self.data.getlist(name) if hasattr(self.data, "getlist") else [value]
        for raw in values[:MAX_ATTRIBUTE_FILTERS]:
            if not raw or not ATTRIBUTE_FILTER_RE.match(raw):
                continue
            key, _sep, text = raw.partition(":")
            condition = attribute_condition(self.catalogue, key, text)
            if condition is None:
                return queryset.none()
            queryset = queryset.filter(condition)
        return queryset


class RelationshipFilterSet(filters.FilterSet):
    ci_id = filters.NumberFilter(method="filter_ci", min_value=1, max_value=2**63 - 1,
                                 label=_("Configuration item"), help_text=_("Either end."))
    source_id = filters.NumberFilter(field_name="source_id", min_value=1, max_value=2**63 - 1, label=_("Source"))
    target_id = filters.NumberFilter(field_name="target_id", min_value=1, max_value=2**63 - 1, label=_("Target"))
    type = filters.ModelChoiceFilter(queryset=RelationshipType.objects.all(), to_field_name="slug",
                                     label=_("Type"))

    class Meta:
        model = Relationship
        fields: list[str] = []

    def filter_ci(self, queryset, name, value):
        return queryset.filter(Q(source_id=value) | Q(target_id=value))


class CIClassFilterSet(filters.FilterSet):
    parent = filters.ModelChoiceFilter(queryset=CIClass.objects.all(), to_field_name="slug", label=_("Parent"))

    class Meta:
        model = CIClass
        fields: list[str] = []


class ServiceFilterSet(filters.FilterSet):
    q = filters.CharFilter(field_name="name", lookup_expr="icontains", max_length=100, label=_("Search"))
    support_team_id = filters.ModelChoiceFilter(field_name="support_team", queryset=Team.objects.all(),
                                                label=_("Support team"))
    criticality = filters.MultipleChoiceFilter(choices=Criticality.choices, label=_("Criticality"))

    class Meta:
        model = ConfigurationItem
        fields: list[str] = []


class RedundancyGroupFilterSet(filters.FilterSet):
    ci_id = filters.NumberFilter(field_name="ci_id", min_value=1, max_value=MAX_ID, label=_("Configuration item"))

    class Meta:
        model = RedundancyGroup
        fields: list[str] = []
