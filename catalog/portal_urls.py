"""Portal pages of the catalog: browse, search, an item's order form (joined into ``portal``)."""

from django.urls import path

from .views import portal

urlpatterns = [
    path("catalog/", portal.catalog_home, name="catalog"),
    path("catalog/categories/<str:pk>/", portal.catalog_category, name="catalog_category"),
    path("catalog/items/<str:pk>/", portal.catalog_item, name="catalog_item"),
    path("catalog/items/<str:pk>/picture/", portal.catalog_picture, name="catalog_picture"),
]
