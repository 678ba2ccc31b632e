from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/auth/", include("accounts.urls")),
    path("api/auth/", include("support.urls")),  # login, registration, user: they compose
    # offers first: its plans/, trial/ and subscribe/ compose billing with an offer
    path("api/billing/", include("offers.urls")),
    path("api/billing/", include("billing.urls")),
    # support first: confirm/ and <slug>/subscribers/ compose newsletters with entitlements
    path("api/newsletters/", include("support.newsletters_urls")),
    path("api/newsletters/", include("newsletters.urls")),
    path("api/entitlements/", include("entitlements.urls")),
    # The edge tokens' public keys (JWKS), where verifiers look for them.
    path(".well-known/", include("entitlements.urls_wellknown")),
    # The demo reading surface: a 404 unless DEBUG or DEMO_ENABLED (demo/views.py).
    path("demo/", include("demo.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

handler400 = "config.errors.json_bad_request"
handler404 = "config.errors.json_not_found"
handler500 = "config.errors.json_server_error"
