"""API: categories (read-only reference data)."""

import django_filters as filters
from django.utils.translation import gettext_lazy as _

from esm.api_bases import ReadOnlyReferenceViewSet, reference_schema
from servicedesk.models import Category

from .serializers import CategorySerializer


class CategoryFilterSet(filters.FilterSet):
    q = filters.CharFilter(field_name="name", lookup_expr="icontains", max_length=100, label=_("Search"))
    parent_id = filters.ModelChoiceFilter(field_name="parent", queryset=Category.objects.all(),
                                          label=_("Parent category"))
    top_level = filters.BooleanFilter(field_name="parent", lookup_expr="isnull", label=_("Top-level only"))
    active = filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Category
        fields: list[str] = []


@reference_schema(CategorySerializer, "category", "categories")
class CategoryViewSet(ReadOnlyReferenceViewSet):
    queryset = Category.objects.none()
    serializer_class = CategorySerializer
    filterset_class = CategoryFilterSet

    def get_queryset(self):
        return Category.objects.select_related("parent")
