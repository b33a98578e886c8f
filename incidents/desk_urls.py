"""Console pages for incidents, included by the root URLconf at ``desk/incidents/`` as "desk-incidents"."""

from django.urls import path

from .views import desk

app_name = "desk-incidents"
urlpatterns = [
    path("new/", desk.incident_create, name="create"),
    path("<str:number>/", desk.incident_detail, name="detail"),
    path("<str:number>/timeline/", desk.incident_timeline, name="timeline"),
    path("<str:number>/edit/", desk.incident_edit, name="edit"),
    path("<str:number>/edit/choices/", desk.edit_choices, name="edit_choices"),
    path("<str:number>/transition/", desk.incident_transition, name="transition"),
    path("<str:number>/confirm/<slug:target>/", desk.incident_confirm_transition, name="confirm"),
    path("<str:number>/assign/", desk.incident_assign, name="assign"),
    path("<str:number>/assign-to-me/", desk.incident_assign_to_me, name="assign_to_me"),
    path("<str:number>/escalate/", desk.incident_escalate, name="escalate"),
    path("<str:number>/major/", desk.incident_major, name="major"),
    path("<str:number>/parent/", desk.incident_parent, name="parent"),
    path("<str:number>/merge/", desk.incident_merge, name="merge"),
    path("<str:number>/comment/", desk.incident_comment, name="comment"),
    path("<str:number>/cis/search/", desk.ci_search, name="ci_search"),
    path("<str:number>/cis/link/", desk.ci_link, name="ci_link"),
    path("<str:number>/cis/unlink/", desk.ci_unlink, name="ci_unlink"),
]
