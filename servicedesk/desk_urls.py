"""The agent console (``/desk/``). Each process app adds its own pages under ``/desk/<kind>s/``."""

from django.urls import path

from .views import approvals, delegations, desk

app_name = "desk"
urlpatterns = [
    path("", desk.queue, name="queue"),
    path("tickets/<str:number>/", desk.ticket_detail, name="ticket_detail"),
    path("tickets/<str:number>/watchers/", desk.ticket_watchers, name="ticket_watchers"),
    path("approvals/", approvals.approval_list, name="approvals"),
    path("approvals/vote/", approvals.approval_vote, name="approval_vote"),
    path("approvals/delegations/", delegations.delegation_list, name="delegations"),
    path("approvals/delegations/<int:pk>/end/", delegations.delegation_revoke, name="delegation_revoke"),
    path("lookup/users/", desk.user_lookup, name="user_lookup"),
    path("lookup/team-members/", desk.team_members, name="team_members"),
]
