"""API routes of the knowledge app, joined by esm/api_urls.py."""

routes = []
urlpatterns = []
