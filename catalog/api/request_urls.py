"""API routes of requests and fulfilment tasks, joined by esm/api_urls.py."""

from .request_views import RequestViewSet, TaskViewSet

routes = [
    ("requests", RequestViewSet, "request"),
    ("tasks", TaskViewSet, "task"),
]
urlpatterns = []
