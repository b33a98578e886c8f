"""Console pages of the surveys app (namespace ``desk-surveys``, under /desk/surveys/)."""

from django.urls import path

from .views import desk

urlpatterns = [
    path("", desk.csat, name="csat"),
    path("low-scores/", desk.low_scores, name="low_scores"),
    path("low-scores/<str:pk>/", desk.low_score, name="low_score"),
    path("low-scores/<str:pk>/follow-up/", desk.follow_up, name="follow_up"),
    path("policies/", desk.policies, name="policies"),
    path("policies/<slug:kind>/", desk.policy_edit, name="policy_edit"),
]
