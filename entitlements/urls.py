from django.urls import path, re_path

from entitlements import api

urlpatterns = [
    path("me/", api.EntitlementMeApi.as_view(), name="entitlements_me"),
    path("token/", api.EntitlementTokenApi.as_view(), name="entitlements_token"),
    # Any path (slashes too) reaches the view, which answers 400 invalid_article_id for a bad one.
    re_path(
        r"^articles/(?P<article_id>.*)/read/$",
        api.ArticleReadApi.as_view(),
        name="entitlements_article_read",
    ),
    path("readers/<int:user_id>/", api.ReaderEntitlementApi.as_view(), name="entitlements_reader"),
]
