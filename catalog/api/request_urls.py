"""API routes of requests and fulfilment tasks, joined by esm/api_urls.py."""

routes = []
urlpatterns = []
