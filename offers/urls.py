"""Mounted under /api/billing/ beside billing.urls: plans/, trial/ and subscribe/ (with
`offer`) and subscription/cancel/ (with `reason` and `comment`) are served here only,
composing billing's services with offers and retention; billing serves the rest."""

from django.urls import path

from offers import api, api_winback, retention_api

urlpatterns = [
    path("offers/", api_winback.OfferListApi.as_view(), name="offers-list"),
    path("offers/<str:code>/", api.OfferDetailApi.as_view(), name="offers-detail"),
    path("plans/", api.PlanListApi.as_view(), name="offers-plans"),
    path("trial/", api.TrialStartApi.as_view(), name="offers-trial"),
    path("subscribe/", api.SubscribeApi.as_view(), name="offers-subscribe"),
    path(
        "subscription/cancel-options/",
        retention_api.CancelOptionsApi.as_view(),
        name="offers-cancel-options",
    ),
    path(
        "subscription/cancel/",
        retention_api.CancelWithReasonApi.as_view(),
        name="offers-subscription-cancel",
    ),
    path(
        "subscription/save-offer/",
        retention_api.SaveOfferApi.as_view(),
        name="offers-save-offer",
    ),
]
