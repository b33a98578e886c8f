"""API routes of the surveys app, joined by esm/api_urls.py.

The paths under ``surveys/`` that are not survey ids (the answer endpoint, CSAT, policies) come
before the results' router routes, so they are never read as an id.
"""

from django.urls import path

from .views import CsatView, PolicyViewSet, SurveyAnswerView, SurveyResultViewSet

routes = [
    ("surveys/policies", PolicyViewSet, "survey-policy"),
    ("surveys", SurveyResultViewSet, "survey"),
]
urlpatterns = [
    path("surveys/answer/", SurveyAnswerView.as_view(), name="survey-answer"),
    path("surveys/csat/", CsatView.as_view(), name="survey-csat"),
]
