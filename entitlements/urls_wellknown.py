"""Well-known URIs the entitlements app serves at the site root (RFC 8615)."""

from django.urls import path

from entitlements import api

urlpatterns = [
    path("jwks.json", api.JwksApi.as_view(), name="entitlements_jwks"),
]
