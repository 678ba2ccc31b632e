"""Mounted under /api/billing/ before billing.urls: plans/, trial/ and subscribe/
here replace billing's (the same contract, plus `offer`)."""

from django.urls import path

from offers import api, api_winback

urlpatterns = [
    path("offers/", api_winback.OfferListApi.as_view(), name="offers-list"),
    path("offers/<str:code>/", api.OfferDetailApi.as_view(), name="offers-detail"),
    path("plans/", api.PlanListApi.as_view(), name="offers-plans"),
    path("trial/", api.TrialStartApi.as_view(), name="offers-trial"),
    path("subscribe/", api.SubscribeApi.as_view(), name="offers-subscribe"),
]
