"""/api/newsletters/ endpoints that compose apps (support/api_newsletters.py); the rest
are newsletters.urls."""

from django.urls import path

from support import api_newsletters

urlpatterns = [
    path("confirm/", api_newsletters.ConfirmApi.as_view(), name="newsletters_confirm"),
    path(
        "<slug:slug>/subscribers/",
        api_newsletters.SubscriberFeedApi.as_view(),
        name="newsletters_subscribers",
    ),
]
