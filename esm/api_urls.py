"""REST API v1 (included at /api/v1/). The OpenAPI document is at /api/schema/, docs at /api/docs/."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from accounts.api.views import AuthTokenView, TeamViewSet, UserViewSet
from cmdb.api.views import ServiceViewSet
from incidents.api.views import IncidentViewSet
from servicedesk.api.views import CategoryViewSet

router = DefaultRouter()
router.register("incidents", IncidentViewSet, basename="incident")
router.register("teams", TeamViewSet, basename="team")
router.register("categories", CategoryViewSet, basename="category")
router.register("services", ServiceViewSet, basename="service")
router.register("users", UserViewSet, basename="user")

urlpatterns = [
    path("auth/token/", AuthTokenView.as_view(), name="api-token"),
    *router.urls,
]
