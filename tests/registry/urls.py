"""The application's URLs plus the pages of a throw-away process that exists only in tests."""

from django.http import HttpResponse
from django.urls import path

from esm.urls import urlpatterns as application


def errand_page(where):
    return lambda request, number: HttpResponse(f"{where} page of {number}")


urlpatterns = [
    path("desk/errands/<str:number>/", errand_page("desk"), name="errand-desk"),
    path("portal/errands/<str:number>/", errand_page("portal"), name="errand-portal"),
    *application,
]
