"""URLs of the self-service portal (namespace ``portal``).

The shell (home, "My tickets") is the service desk's; each process app has its own
``portal_urls`` with its pages, and the root URLconf joins them under one namespace.
Ticket numbers are the only identifiers in URLs; every ticket URL answers 404 to people who may
not see the ticket.
"""

from django.urls import path

from .views import approval_links, portal

app_name = "portal"
urlpatterns = [
    path("", portal.home, name="home"),
    path("tickets/", portal.my_tickets, name="my_tickets"),
    # The approve and reject links of approval e-mails (signed, single use, no sign-in).
    path("approvals/link/<str:token>/", approval_links.approval_link, name="approval_link"),
]
