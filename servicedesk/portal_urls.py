"""URLs of the self-service portal (namespace ``portal``).

The shell (home, "My tickets") is the service desk's; each process plugs in its own pages here.
Ticket numbers are the only identifiers in URLs; every ticket URL answers 404 to people who may
not see the ticket.
"""

from django.urls import path

from incidents.views import portal as incident_pages

from .views import portal

app_name = "portal"
urlpatterns = [
    path("", portal.home, name="home"),
    path("report/", incident_pages.report, name="report"),
    path("tickets/", portal.my_tickets, name="my_tickets"),
    path("tickets/<str:number>/", incident_pages.ticket_detail, name="ticket_detail"),
    path("tickets/<str:number>/reply/", incident_pages.reply, name="ticket_reply"),
    path("tickets/<str:number>/confirm/", incident_pages.confirm, name="ticket_confirm"),
    path("tickets/<str:number>/reopen/", incident_pages.reopen, name="ticket_reopen"),
    path("tickets/<str:number>/cancel/", incident_pages.cancel, name="ticket_cancel"),
]
