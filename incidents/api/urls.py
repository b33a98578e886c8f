"""API routes of incidents, joined into /api/v1/ by esm/api_urls.py."""

from .views import IncidentViewSet

routes = [
    ("incidents", IncidentViewSet, "incident"),
]

urlpatterns: list = []
