"""API of the CMDB: classes, CIs, relationships, redundancy groups, impact, history and imports.

Every desk role reads (agents need the CMDB to work incidents); configuration managers and
administrators write. Requesters get 403 on every endpoint. Each write calls one service in
``cmdb.services`` (or ``cmdb.imports``); ``esm.api.exception_handler`` turns its errors into
400/403/409/412. CI writes honour ``If-Match``.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema, extend_schema_view
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from cmdb import services
from cmdb.attributes import ClassCatalogue
from cmdb.filters import (
    CIClassFilterSet,
    CIFilterSet,
    RedundancyGroupFilterSet,
    RelationshipFilterSet,
    ServiceFilterSet,
)
from cmdb.impact import impact_analysis
from cmdb.imports import CIS, RELATIONSHIPS, ci_import, parse_csv
from cmdb.models import CIClass, ConfigurationItem, RedundancyGroup, Relationship, RelationshipType
from cmdb.permissions import can_edit_cmdb, can_read_cmdb
from cmdb.queries import (
    CI_ORDERINGS,
    DEFAULT_CI_ORDERING,
    HISTORY_ORDERINGS,
    RELATIONSHIP_ORDERINGS,
    ci_detail_queryset,
    ci_history,
    ci_list_queryset,
    relationship_list_queryset,
)
from esm.api import (
    ERR_400,
    ERR_400_IF_MATCH,
    ERR_401,
    ERR_403,
    IF_MATCH,
    LIST_ERRORS,
    READ_ERRORS,
    FieldErrorsSerializer,
    error_responses,
    etag_for,
    if_match_version,
)
from esm.api_bases import ByIdMixin, ReadOnlyReferenceViewSet, reference_schema
from esm.pagination import KeysetPagination

from .serializers import (
    CIClassSerializer,
    CISerializer,
    CIWriteSerializer,
    HistoryEventSerializer,
    ImpactQuerySerializer,
    ImpactSerializer,
    ImportReportSerializer,
    ImportRequestSerializer,
    RedundancyGroupCreateSerializer,
    RedundancyGroupSerializer,
    RelationshipCreateSerializer,
    RelationshipSerializer,
    RelationshipTypeSerializer,
    RelationshipUpdateSerializer,
    ServiceSerializer,
)

ID = OpenApiParameter("id", int, OpenApiParameter.PATH)
ETAG = OpenApiParameter("ETag", str, OpenApiParameter.HEADER, response=[200, 201],
                        description='The CI\'s version as `"N"`; send it back as If-Match.')


class CMDBPermission(permissions.BasePermission):
    """Desk roles read; configuration managers and administrators write; everyone else is refused."""

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return can_read_cmdb(request.user)
        return can_edit_cmdb(request.user)


def service_call(call):
    """Run a service; attribute errors come back per attribute: {"attributes": {"os": ["…"]}}."""
    try:
        return call()
    except DjangoValidationError as exc:
        by_key = getattr(exc, "by_key", None)
        if by_key and hasattr(exc, "error_dict"):
            body = {name: [str(m) for m in messages] for name, messages in exc.message_dict.items()}
            body["attributes"] = by_key
            raise ValidationError(body)
        raise


# --- Business services (reference data, read by everyone signed in) ------------------------


@reference_schema(ServiceSerializer, "business service", "business services")
class ServiceViewSet(ReadOnlyReferenceViewSet):
    queryset = ConfigurationItem.objects.none()
    serializer_class = ServiceSerializer
    filterset_class = ServiceFilterSet

    def get_queryset(self):
        return ConfigurationItem.objects.services().select_related("owner", "owner_team", "support_team")


# --- Classes and relationship types ---------------------------------------------------------


@reference_schema(CIClassSerializer, "CI class", "CI classes")
class CIClassViewSet(ReadOnlyReferenceViewSet):
    """CI classes with the attributes their CIs carry (own and inherited). Admins edit them in /admin/."""

    queryset = CIClass.objects.none()
    serializer_class = CIClassSerializer
    filterset_class = CIClassFilterSet
    permission_classes = [CMDBPermission]

    def get_queryset(self):
        return CIClass.objects.select_related("parent")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "catalogue": ClassCatalogue()}


@reference_schema(RelationshipTypeSerializer, "relationship type", "relationship types")
class RelationshipTypeViewSet(ReadOnlyReferenceViewSet):
    queryset = RelationshipType.objects.none()
    serializer_class = RelationshipTypeSerializer
    permission_classes = [CMDBPermission]
    filterset_class = None

    def get_queryset(self):
        return RelationshipType.objects.all()


# --- Configuration items --------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List configuration items",
                       description="Filters combine; `attribute=os:linux` filters on an attribute value "
                                   "(repeatable). Cursor pagination.",
                       responses={200: CISerializer, **LIST_ERRORS}),
    retrieve=extend_schema(summary="Get a configuration item", parameters=[ID, ETAG],
                           responses={200: CISerializer, **READ_ERRORS}),
    create=extend_schema(summary="Create a configuration item (configuration managers)", request=CIWriteSerializer,
                         parameters=[ETAG], responses={201: CISerializer, **error_responses(400, 401, 403)}),
    partial_update=extend_schema(summary="Change a configuration item (configuration managers)",
                                 request=CIWriteSerializer, parameters=[ID, IF_MATCH, ETAG],
                                 description="`attributes`, when given, replaces the whole set of values.",
                                 responses={200: CISerializer, **error_responses(400, 401, 403, 404, 412)}),
    destroy=extend_schema(summary="Delete a configuration item and its relationships (configuration managers)",
                          description="Refused (409) while tickets name it: retire it instead.",
                          parameters=[ID, IF_MATCH],
                          responses={204: None, 400: ERR_400_IF_MATCH, **error_responses(401, 403, 404, 409, 412)}),
)
class CIViewSet(ByIdMixin, viewsets.GenericViewSet):
    queryset = ConfigurationItem.objects.none()
    serializer_class = CISerializer
    filterset_class = CIFilterSet
    permission_classes = [CMDBPermission]
    pagination_class = KeysetPagination
    keyset_orderings = CI_ORDERINGS
    keyset_default_ordering = DEFAULT_CI_ORDERING

    def get_queryset(self):
        return ci_list_queryset() if self.action == "list" else ci_detail_queryset()

    def ci_response(self, ci, *, status_code=status.HTTP_200_OK, reload=True) -> Response:
        if reload:
            ci = get_object_or_404(ci_detail_queryset(), pk=ci.pk)
        return Response(CISerializer(ci).data, status=status_code, headers={"ETag": etag_for(ci.version)})

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(CISerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return self.ci_response(self.get_object(), reload=False)

    def create(self, request):
        serializer = CIWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ci = service_call(lambda: services.ci_create(actor=request.user, **serializer.validated_data))
        return self.ci_response(ci, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        ci = self.get_object()
        serializer = CIWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        ci = service_call(lambda: services.ci_update(ci=ci, actor=request.user,
                                                     expected_version=if_match_version(request, ci.version),
                                                     **serializer.validated_data))
        return self.ci_response(ci)

    def destroy(self, request, pk=None):
        ci = self.get_object()
        services.ci_delete(ci=ci, actor=request.user, expected_version=if_match_version(request, ci.version))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="Impact analysis: what it breaks (upstream) or depends on (downstream)",
                   parameters=[ID, ImpactQuerySerializer],
                   responses={200: ImpactSerializer, **READ_ERRORS, 400: ERR_400},
                   description="Computed in the database (recursive CTE, cycle-safe). Nodes carry their depth, the "
                               "previous node on one shortest path and their open tickets. Retired and disposed "
                               "CIs are left out; redundancy groups pass impact on only when too few members stay "
                               "up.")
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def impact(self, request, pk=None):
        ci = self.get_object()
        query = ImpactQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = impact_analysis(ci, **query.validated_data)
        return Response(ImpactSerializer(result).data)

    @extend_schema(summary="History of the CI, its relationships and redundancy groups (audit trail)",
                   parameters=[ID], responses={200: HistoryEventSerializer(many=True), **READ_ERRORS, 400: ERR_400})
    @action(detail=True, methods=["get"], filter_backends=[], keyset_orderings=HISTORY_ORDERINGS,
            keyset_default_ordering="-pgh_created_at")
    def history(self, request, pk=None):
        ci = self.get_object()
        page = self.paginate_queryset(ci_history(ci))
        ids = {(e.pgh_context or {}).get("actor") or (e.pgh_context or {}).get("user") for e in page}
        users = User.objects.in_bulk([i for i in ids if isinstance(i, int)])
        return self.get_paginated_response(HistoryEventSerializer(page, many=True, context={"users": users}).data)


# --- Relationships and redundancy groups ----------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List relationships", responses={200: RelationshipSerializer, **LIST_ERRORS}),
    retrieve=extend_schema(summary="Get a relationship", parameters=[ID],
                           responses={200: RelationshipSerializer, **READ_ERRORS}),
    create=extend_schema(summary="Relate two CIs (configuration managers)", request=RelationshipCreateSerializer,
                         description='Reads "source <type> target", e.g. app runs_on server. No self-links, no '
                                     "duplicates (400); cycles are allowed.",
                         responses={201: RelationshipSerializer, **error_responses(400, 401, 403)}),
    partial_update=extend_schema(summary="Put a relationship in or out of a redundancy group (configuration managers)",
                                 request=RelationshipUpdateSerializer, parameters=[ID],
                                 responses={200: RelationshipSerializer, **error_responses(400, 401, 403, 404)}),
    destroy=extend_schema(summary="Remove a relationship (configuration managers)", parameters=[ID],
                          responses={204: None, **error_responses(401, 403, 404)}),
)
class RelationshipViewSet(ByIdMixin, viewsets.GenericViewSet):
    queryset = Relationship.objects.none()
    serializer_class = RelationshipSerializer
    filterset_class = RelationshipFilterSet
    permission_classes = [CMDBPermission]
    pagination_class = KeysetPagination
    keyset_orderings = RELATIONSHIP_ORDERINGS
    keyset_default_ordering = "id"

    def get_queryset(self):
        return relationship_list_queryset()

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(RelationshipSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(RelationshipSerializer(self.get_object()).data)

    def create(self, request):
        serializer = RelationshipCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        relationship = services.relationship_create(actor=request.user, **serializer.validated_data)
        relationship = self.get_queryset().get(pk=relationship.pk)
        return Response(RelationshipSerializer(relationship).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        relationship = self.get_object()
        serializer = RelationshipUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.relationship_update(relationship=relationship, actor=request.user,
                                     redundancy_group=data.get("redundancy_group", relationship.redundancy_group),
                                     description=data.get("description"))
        return Response(RelationshipSerializer(self.get_queryset().get(pk=relationship.pk)).data)

    def destroy(self, request, pk=None):
        services.relationship_delete(relationship=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="List redundancy groups", responses={200: RedundancyGroupSerializer, **LIST_ERRORS}),
    retrieve=extend_schema(summary="Get a redundancy group", parameters=[ID],
                           responses={200: RedundancyGroupSerializer, **READ_ERRORS}),
    create=extend_schema(summary="Create a redundancy group (configuration managers)",
                         request=RedundancyGroupCreateSerializer,
                         responses={201: RedundancyGroupSerializer, **error_responses(400, 401, 403)}),
    destroy=extend_schema(summary="Delete a redundancy group; its relationships stay (configuration managers)",
                          parameters=[ID], responses={204: None, **error_responses(401, 403, 404)}),
)
class RedundancyGroupViewSet(ByIdMixin, viewsets.GenericViewSet):
    queryset = RedundancyGroup.objects.none()
    serializer_class = RedundancyGroupSerializer
    filterset_class = RedundancyGroupFilterSet
    permission_classes = [CMDBPermission]
    pagination_class = KeysetPagination
    keyset_orderings = RELATIONSHIP_ORDERINGS
    keyset_default_ordering = "id"

    def get_queryset(self):
        return RedundancyGroup.objects.select_related("ci").prefetch_related("relationships")

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(RedundancyGroupSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(RedundancyGroupSerializer(self.get_object()).data)

    def create(self, request):
        serializer = RedundancyGroupCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        ids = data.pop("relationships")
        found = Relationship.objects.in_bulk(ids)
        missing = sorted(set(ids) - set(found))
        if missing:
            raise ValidationError({"relationships": [_("No relationship has the id %(ids)s.")
                                                     % {"ids": ", ".join(map(str, missing))}]})
        group = services.redundancy_group_create(actor=request.user, relationships=found.values(), **data)
        return Response(RedundancyGroupSerializer(self.get_queryset().get(pk=group.pk)).data,
                        status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        services.redundancy_group_delete(group=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Imports --------------------------------------------------------------------------------


class ImportView(APIView):
    permission_classes = [CMDBPermission]

    @extend_schema(
        summary="Import CIs and relationships (configuration managers)", request=ImportRequestSerializer,
        description="JSON rows (`cis`, `relationships`) or CSV text (`cis_csv`, `relationships_csv`). Upserts on "
                    "(source, external_id). `dry_run` (the default) reports what would be created, changed, left "
                    "alone or rejected, row by row; applying is atomic. When rows are rejected and `skip_rejected` "
                    "is false, nothing is written and the answer is 400 with the report.",
        responses={200: ImportReportSerializer, 401: ERR_401, 403: ERR_403, 400: PolymorphicProxySerializer(
            component_name="ImportRefused", serializers=[ImportReportSerializer, FieldErrorsSerializer],
            resource_type_field_name=None)},
    )
    def post(self, request):
        serializer = ImportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        cis = list(data["cis"])
        relationships = list(data["relationships"])
        for name, kind, rows in (("cis_csv", CIS, cis), ("relationships_csv", RELATIONSHIPS, relationships)):
            if data.get(name):
                try:
                    rows += parse_csv(data[name], kind=kind)
                except DjangoValidationError as exc:
                    raise ValidationError({name: exc.messages})
        report = ci_import(actor=request.user, source=data["source"], cis=cis, relationships=relationships,
                           dry_run=data["dry_run"], skip_rejected=data["skip_rejected"])
        body = ImportReportSerializer({
            "dry_run": report.dry_run, "applied": report.applied, "counts": report.counts,
            "rows": [r for r in report.rows if r.outcome != "unchanged"],
        }).data
        failed = not report.dry_run and not report.applied
        return Response(body, status=status.HTTP_400_BAD_REQUEST if failed else status.HTTP_200_OK)
