"""API routes of the CMDB, joined into /api/v1/ by esm/api_urls.py."""

from django.urls import path

from .views import (
    CIClassViewSet,
    CIViewSet,
    ImportView,
    RedundancyGroupViewSet,
    RelationshipTypeViewSet,
    RelationshipViewSet,
    ServiceViewSet,
)

routes = [
    ("services", ServiceViewSet, "service"),
    ("cmdb/classes", CIClassViewSet, "cmdb-class"),
    ("cmdb/relationship-types", RelationshipTypeViewSet, "cmdb-relationship-type"),
    ("cmdb/cis", CIViewSet, "cmdb-ci"),
    ("cmdb/relationships", RelationshipViewSet, "cmdb-relationship"),
    ("cmdb/redundancy-groups", RedundancyGroupViewSet, "cmdb-redundancy-group"),
]

urlpatterns = [
    path("cmdb/imports/", ImportView.as_view(), name="cmdb-import"),
]
