from dj_rest_auth.views import PasswordChangeView, PasswordResetConfirmView
from django.urls import path

from accounts import api

urlpatterns = [
    path("login/", api.LoginApi.as_view(), name="rest_login"),
    path("logout/", api.LogoutApi.as_view(), name="rest_logout"),
    path("user/", api.AccountApi.as_view(), name="rest_user_details"),
    path("password/change/", PasswordChangeView.as_view(), name="rest_password_change"),
    path("password/reset/", api.PasswordResetApi.as_view(), name="rest_password_reset"),
    path(
        "password/reset/confirm/",
        PasswordResetConfirmView.as_view(),
        name="rest_password_reset_confirm",
    ),
    path("registration/", api.RegistrationApi.as_view(), name="rest_register"),
    path("registration/verify-email/", api.VerifyEmailApi.as_view(), name="rest_verify_email"),
    path(
        "registration/resend-email/",
        api.ResendEmailVerificationApi.as_view(),
        name="rest_resend_email",
    ),
]
