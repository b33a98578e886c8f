"""API routes of people and teams, joined into /api/v1/ by esm/api_urls.py.

``routes`` are registered on the API's one router (its root view lists every app's lists);
``urlpatterns`` are the other paths.
"""

from django.urls import path

from .views import AuthTokenView, TeamViewSet, UserViewSet

routes = [
    ("teams", TeamViewSet, "team"),
    ("users", UserViewSet, "user"),
]

urlpatterns = [
    path("auth/token/", AuthTokenView.as_view(), name="api-token"),
]
