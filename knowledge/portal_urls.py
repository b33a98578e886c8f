"""Portal pages of the knowledge app (joined into ``portal``)."""

from django.urls import path

from .views import portal

urlpatterns = [
    path("knowledge/", portal.home, name="knowledge_home"),
    path("knowledge/suggestions/", portal.suggestion_list, name="knowledge_suggestions"),
    path("knowledge/suggestions/<str:source>/<str:ident>/", portal.suggestion_open, name="knowledge_suggestion_open"),
    path("knowledge/<str:pk>/", portal.article, name="knowledge_article"),
    path("knowledge/<str:pk>/feedback/", portal.feedback, name="knowledge_feedback"),
]
