"""API: categories (read-only reference data)."""


from esm.api_bases import ReadOnlyReferenceViewSet, reference_schema
from servicedesk.filters import CategoryFilterSet
from servicedesk.models import Category

from .serializers import CategorySerializer


@reference_schema(CategorySerializer, "category", "categories")
class CategoryViewSet(ReadOnlyReferenceViewSet):
    queryset = Category.objects.none()
    serializer_class = CategorySerializer
    filterset_class = CategoryFilterSet

    def get_queryset(self):
        return Category.objects.select_related("parent")
