"""Bases every app's API builds on: id parsing, the by-id lookup and read-only reference lists.

Ids in URLs and bodies are refused before they reach the database when they cannot be ids (not
digits, floats, beyond bigint), so a bad id is a JSON 404 or a field-level 400, never a 500
(docs/architecture.md, rule 8).
"""

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.response import Response

from .api import LIST_ERRORS, READ_ERRORS
from .filters import MAX_ID
from .pagination import KeysetPagination

__all__ = ["MAX_ID", "NAME_ORDERINGS", "ByIdMixin", "ReadOnlyReferenceViewSet", "ServiceWritesMixin", "id_field",
           "parse_id", "reference_schema"]

NAME_ORDERINGS = {"name": ("name", "id"), "id": ("id",)}


class NamedRefSerializer(serializers.Serializer):
    """Something referred to by id and name (a team, a service, a catalog item) in a larger object."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class PersonRefSerializer(serializers.Serializer):
    """A person referred to in a larger object."""

    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    display_name = serializers.CharField(read_only=True)


def parse_id(raw) -> int | None:
    """An id from a URL, or None when it cannot be one (not digits, or beyond bigint)."""
    raw = str(raw)
    if not raw.isascii() or not raw.isdigit():
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_ID else None


def id_field(queryset, **kwargs) -> serializers.PrimaryKeyRelatedField:
    """A primary-key input that refuses floats, infinities and out-of-range numbers with a 400."""
    return serializers.PrimaryKeyRelatedField(
        queryset=queryset, pk_field=serializers.IntegerField(min_value=1, max_value=MAX_ID), **kwargs
    )


# Retrieve by numeric id; anything else in the URL is a JSON 404. (No docstring: the schema would
# show it as every view's description.)
class ByIdMixin:
    lookup_value_regex = "[^/]+"  # anything routes here, so a bad id is a JSON 404, not an HTML page

    def get_object(self):
        pk = parse_id(self.kwargs["pk"])
        if pk is None:
            raise Http404
        obj = get_object_or_404(self.get_queryset(), pk=pk)
        self.check_object_permissions(self.request, obj)
        return obj


class ReadOnlyReferenceViewSet(ByIdMixin, viewsets.ReadOnlyModelViewSet):
    """List and retrieve by id; filters and ordering apply to the list only."""

    pagination_class = KeysetPagination
    keyset_orderings = NAME_ORDERINGS
    keyset_default_ordering = "name"


def reference_schema(serializer, singular: str, plural: str):
    return extend_schema_view(
        list=extend_schema(summary=f"List {plural}", responses={200: serializer, **LIST_ERRORS}),
        retrieve=extend_schema(summary=f"Get one {singular}", responses={200: serializer, **READ_ERRORS},
                               parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)]),
    )


class ServiceWritesMixin:
    """Create, edit (PATCH) and delete through the app's save and delete services (rule 1):
    ``save_service(actor=…, <instance_argument>=…, **fields)`` and ``delete_service``."""

    save_service = delete_service = None
    instance_argument = ""

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        saved = self.save_service(actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(saved).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        instance = self.get_object()
        serializer = self.get_serializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        saved = self.save_service(actor=request.user, **{self.instance_argument: instance},
                                  **serializer.validated_data)
        return Response(self.get_serializer(saved).data)

    def destroy(self, request, pk=None):
        self.delete_service(actor=request.user, **{self.instance_argument: self.get_object()})
        return Response(status=status.HTTP_204_NO_CONTENT)
