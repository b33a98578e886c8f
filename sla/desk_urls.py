"""Console pages for service levels, included by the root URLconf at ``desk/sla/`` as "desk-sla"."""

from django.urls import path

from . import views

app_name = "desk-sla"
urlpatterns = [
    path("", views.breaching, name="breaching"),
    path("definitions/", views.definitions, name="definitions"),
    path("definitions/<int:pk>/", views.definition_detail, name="definition"),
    path("calendars/", views.calendars, name="calendars"),
    path("calendars/<int:pk>/", views.calendar_detail, name="calendar"),
    path("reports/compliance/", views.report, name="report"),
]
