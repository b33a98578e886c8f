"""Console pages of the problems app (namespace ``desk-problems``, under /desk/problems/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.problem_list, name="list"),
    path("new/", views.problem_create, name="create"),
    path("raise/", views.raise_from_incidents, name="raise"),
    path("candidates/", views.candidate_list, name="candidates"),
    path("candidates/<int:pk>/accept/", views.candidate_decide, {"decision": "accept"}, name="candidate_accept"),
    path("candidates/<int:pk>/dismiss/", views.candidate_decide, {"decision": "dismiss"}, name="candidate_dismiss"),
    path("known-errors/", views.known_error_list, name="known_errors"),
    path("known-errors/new/", views.known_error_edit, name="known_error_create"),
    path("known-errors/<int:pk>/", views.known_error_detail, name="known_error"),
    path("known-errors/<int:pk>/edit/", views.known_error_edit, name="known_error_edit"),
    path("known-errors/<int:pk>/apply/", views.apply_workaround, name="apply_workaround"),
    path("<str:number>/", views.problem_detail, name="detail"),
    path("<str:number>/edit/", views.problem_edit, name="edit"),
    path("<str:number>/rca/", views.problem_rca, name="rca"),
    path("<str:number>/transition/", views.problem_transition, name="transition"),
    path("<str:number>/incidents/link/", views.problem_link_incidents, name="link_incidents"),
    path("<str:number>/incidents/unlink/", views.problem_unlink_incident, name="unlink_incident"),
    path("<str:number>/change/", views.problem_raise_change, name="raise_change"),
]
