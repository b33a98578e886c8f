"""The real URLs plus pages that fail, for the error page tests."""

from django.urls import path

from esm.urls import handler403, handler404, handler500  # noqa: F401
from esm.urls import urlpatterns as real_patterns


def boom(request):
    raise RuntimeError("boom")


urlpatterns = [path("desk/boom/", boom), path("portal/boom/", boom), *real_patterns]
