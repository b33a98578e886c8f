"""Portal pages of a person's requests (joined into ``portal``)."""

from django.urls import path

from . import request_portal_views as views

urlpatterns = [
    path("requests/", views.my_requests, name="my_requests"),
    path("requests/<str:number>/", views.request_detail, name="request_detail"),
    path("requests/<str:number>/cancel/", views.request_cancel, name="request_cancel"),
    path("requests/<str:number>/reply/", views.request_reply, name="request_reply"),
    path("requests/<str:number>/order-again/", views.request_copy, name="request_copy"),
    path("requests/<str:number>/decide/", views.request_vote, name="request_vote"),
]
