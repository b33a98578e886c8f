"""Console pages of requests and fulfilment tasks (namespace ``desk-requests``, under /desk/requests/)."""

from django.urls import path

from . import request_desk_views as views

urlpatterns = [
    path("", views.request_list, name="list"),
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/<str:number>/", views.task_page, name="task"),
    path("tasks/<str:number>/transition/", views.task_transition, name="task_transition"),
    path("tasks/<str:number>/assign/", views.task_assign, name="task_assign"),
    path("<str:number>/", views.request_page, name="request"),
    path("<str:number>/cancel/", views.request_cancel, name="request_cancel"),
    path("<str:number>/comment/", views.comment, name="comment"),
]
