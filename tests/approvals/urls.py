"""The application's URLs plus the pages and API of the "purchases" process of the approval tests."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from esm.urls import urlpatterns as application

from .process import PurchaseViewSet, purchase_page

router = SimpleRouter()
router.register("api/v1/purchases", PurchaseViewSet, basename="purchase")

urlpatterns = [
    path("desk/purchases/<str:number>/", purchase_page, name="purchase-desk"),
    path("", include(router.urls)),
    *application,
]
