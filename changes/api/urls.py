"""API routes of changes, joined into /api/v1/ by esm/api_urls.py.

The paths under ``changes/`` that are not change numbers (templates, freeze windows, CABs, the
calendar …) are registered before the changes themselves, so they are never read as a number.
"""

from django.urls import path

from .views import (
    AgendaView,
    ApproverGroupViewSet,
    CabRuleViewSet,
    CabsView,
    CalendarFeedView,
    CalendarView,
    ChangeViewSet,
    FeedTokenViewSet,
    FreezeWindowViewSet,
    MetricsView,
    TemplateViewSet,
)

routes = [
    ("changes/templates", TemplateViewSet, "change-template"),
    ("changes/freeze-windows", FreezeWindowViewSet, "change-freeze-window"),
    ("changes/cabs/groups", ApproverGroupViewSet, "change-cab-group"),
    ("changes/cabs/rules", CabRuleViewSet, "change-cab-rule"),
    ("changes/calendar/tokens", FeedTokenViewSet, "change-calendar-token"),
    ("changes", ChangeViewSet, "change"),
]

urlpatterns = [
    path("changes/cabs/", CabsView.as_view(), name="change-cabs"),
    path("changes/calendar/", CalendarView.as_view(), name="change-calendar"),
    path("changes/calendar.ics", CalendarFeedView.as_view(), name="change-calendar-feed"),
    path("changes/cab-agenda/", AgendaView.as_view(), name="change-cab-agenda"),
    path("changes/metrics/", MetricsView.as_view(), name="change-metrics"),
]
