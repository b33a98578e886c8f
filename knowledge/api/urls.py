"""API routes of the knowledge app, joined by esm/api_urls.py."""

from django.urls import path

from .views import ArticleViewSet, SearchView

routes = [
    ("knowledge/articles", ArticleViewSet, "knowledge-article"),
]
urlpatterns = [
    path("knowledge/search/", SearchView.as_view(), name="knowledge-search"),
]
