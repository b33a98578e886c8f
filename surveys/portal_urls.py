"""Portal pages of the surveys app (joined into ``portal``)."""

from django.urls import path

from .views import portal

urlpatterns = [
    path("survey/<str:token>/", portal.survey_by_link, name="survey"),
    path("surveys/", portal.my_surveys, name="surveys"),
    path("surveys/<str:number>/", portal.survey_by_number, name="survey_ticket"),
]
