from django.urls import path

from .views import desk

app_name = "desk"
urlpatterns = [
    path("", desk.queue, name="queue"),
    path("tickets/<str:number>/", desk.ticket_detail, name="ticket_detail"),
]
