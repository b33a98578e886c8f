"""Console pages for service levels, included by the root URLconf at ``desk/sla/`` as "desk-sla"."""

from django.urls import path

from . import manage_views, views

app_name = "desk-sla"
urlpatterns = [
    path("", views.breaching, name="breaching"),
    path("definitions/", views.definitions, name="definitions"),
    path("definitions/new/", manage_views.definition_edit, name="definition_create"),
    path("definitions/<int:pk>/", views.definition_detail, name="definition"),
    path("definitions/<int:pk>/edit/", manage_views.definition_edit, name="definition_edit"),
    path("calendars/", views.calendars, name="calendars"),
    path("calendars/new/", manage_views.calendar_edit, name="calendar_create"),
    path("calendars/<int:pk>/", views.calendar_detail, name="calendar"),
    path("calendars/<int:pk>/edit/", manage_views.calendar_edit, name="calendar_edit"),
    path("reports/compliance/", views.report, name="report"),
]
