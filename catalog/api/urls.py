"""API routes of the catalog (categories, items with their current form), joined by esm/api_urls.py."""

routes = []
urlpatterns = []
