from django.urls import path

from newsletters import api

urlpatterns = [
    path("", api.NewsletterListApi.as_view(), name="newsletters_list"),
    path("subscribe/", api.SubscribeApi.as_view(), name="newsletters_subscribe"),
    path("preferences/", api.PreferencesApi.as_view(), name="newsletters_preferences"),
    path(
        "unsubscribe/<str:token>/",
        api.UnsubscribeApi.as_view(),
        name="newsletters_unsubscribe",
    ),
]
