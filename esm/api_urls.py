"""REST API v1 (included at /api/v1/). The OpenAPI document is at /api/schema/, docs at /api/docs/."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from accounts.api.views import AuthTokenView, TeamViewSet, UserViewSet
from cmdb.api.views import (
    CIClassViewSet,
    CIViewSet,
    ImportView,
    RedundancyGroupViewSet,
    RelationshipTypeViewSet,
    RelationshipViewSet,
    ServiceViewSet,
)
from incidents.api.views import IncidentViewSet
from servicedesk.api.views import CategoryViewSet

router = DefaultRouter()
router.register("incidents", IncidentViewSet, basename="incident")
router.register("teams", TeamViewSet, basename="team")
router.register("categories", CategoryViewSet, basename="category")
router.register("services", ServiceViewSet, basename="service")
router.register("users", UserViewSet, basename="user")
router.register("cmdb/classes", CIClassViewSet, basename="cmdb-class")
router.register("cmdb/relationship-types", RelationshipTypeViewSet, basename="cmdb-relationship-type")
router.register("cmdb/cis", CIViewSet, basename="cmdb-ci")
router.register("cmdb/relationships", RelationshipViewSet, basename="cmdb-relationship")
router.register("cmdb/redundancy-groups", RedundancyGroupViewSet, basename="cmdb-redundancy-group")

urlpatterns = [
    path("auth/token/", AuthTokenView.as_view(), name="api-token"),
    path("sla/", include("sla.api.urls")),
    path("cmdb/imports/", ImportView.as_view(), name="cmdb-import"),
    *router.urls,
]
