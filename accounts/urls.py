"""/api/auth/: what accounts answers alone; support/urls.py adds login/, registration/
and user/ under the same prefix."""

from dj_rest_auth.views import PasswordChangeView, PasswordResetConfirmView
from django.urls import path

from accounts import api

urlpatterns = [
    path("logout/", api.LogoutApi.as_view(), name="rest_logout"),
    path("password/change/", PasswordChangeView.as_view(), name="rest_password_change"),
    path("password/reset/", api.PasswordResetApi.as_view(), name="rest_password_reset"),
    path(
        "password/reset/confirm/",
        PasswordResetConfirmView.as_view(),
        name="rest_password_reset_confirm",
    ),
    path("registration/verify-email/", api.VerifyEmailApi.as_view(), name="rest_verify_email"),
    path(
        "registration/resend-email/",
        api.ResendEmailVerificationApi.as_view(),
        name="rest_resend_email",
    ),
]
