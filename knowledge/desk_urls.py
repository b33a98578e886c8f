"""Console pages of the knowledge app (namespace ``desk-knowledge``, under /desk/knowledge/)."""

from django.urls import path

from .views import desk

urlpatterns = [
    path("", desk.article_list, name="list"),
    path("new/", desk.article_create, name="create"),
    path("tasks/<str:number>/", desk.task_detail, name="task"),
    path("tasks/<str:number>/transition/", desk.task_transition, name="task_transition"),
    path("tickets/<str:number>/attach/", desk.ticket_attach, name="ticket_attach"),
    path("tickets/<str:number>/articles/<str:pk>/", desk.ticket_article_update, name="ticket_article"),
    path("<str:pk>/", desk.article_detail, name="detail"),
    path("<str:pk>/edit/", desk.article_edit, name="edit"),
    path("<str:pk>/transition/", desk.article_transition, name="transition"),
    path("<str:pk>/versions/<str:number>/", desk.version_diff, name="version"),
]
