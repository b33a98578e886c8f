"""API routes of the problems app, joined by esm/api_urls.py.

``problems/candidates`` is registered before the problems themselves, so it is never read as a number.
"""

from django.urls import path

from .views import CandidateViewSet, KnownErrorViewSet, ProblemViewSet, SuggestionsView

routes = [
    ("problems/candidates", CandidateViewSet, "problem-candidate"),
    ("problems", ProblemViewSet, "problem"),
    ("known-errors", KnownErrorViewSet, "known-error"),
]
urlpatterns = [
    path("incidents/<str:number>/known-error-suggestions/", SuggestionsView.as_view(),
         name="incident-known-error-suggestions"),
]
