"""SLA API routes, included by esm/api_urls.py under /api/v1/sla/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import CalendarViewSet, ClockListView, ComplianceReportView, DefinitionViewSet

router = SimpleRouter()
router.register("calendars", CalendarViewSet, basename="sla-calendar")
router.register("definitions", DefinitionViewSet, basename="sla-definition")

urlpatterns = [
    path("clocks/", ClockListView.as_view(), name="sla-clocks"),
    path("reports/compliance/", ComplianceReportView.as_view(), name="sla-compliance"),
    *router.urls,
]
