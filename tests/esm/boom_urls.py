"""The real URLs plus pages that fail, for the error page tests."""

from django.urls import path

from esm.urls import handler403, handler404, handler500, urlpatterns as real_patterns  # noqa: F401


def boom(request):
    raise RuntimeError("boom")


urlpatterns = [path("desk/boom/", boom), path("portal/boom/", boom), *real_patterns]
