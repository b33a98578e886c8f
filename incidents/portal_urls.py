"""Portal pages for incidents; joined with the service desk's portal shell by the root URLconf."""

from django.urls import path

from .views import portal

urlpatterns = [
    path("report/", portal.report, name="report"),
    path("tickets/<str:number>/", portal.ticket_detail, name="ticket_detail"),
    path("tickets/<str:number>/reply/", portal.reply, name="ticket_reply"),
    path("tickets/<str:number>/confirm/", portal.confirm, name="ticket_confirm"),
    path("tickets/<str:number>/reopen/", portal.reopen, name="ticket_reopen"),
    path("tickets/<str:number>/cancel/", portal.cancel, name="ticket_cancel"),
]
