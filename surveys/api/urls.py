"""API routes of the surveys app, joined by esm/api_urls.py."""

routes = []
urlpatterns = []
