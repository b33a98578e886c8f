"""Portal pages of the problems app (joined into ``portal``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("known-errors/<int:pk>/", views.portal_known_error, name="known_error"),
]
