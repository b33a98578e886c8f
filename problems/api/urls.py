"""API routes of the problems app, joined by esm/api_urls.py."""

routes = []
urlpatterns = []
