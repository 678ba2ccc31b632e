"""/api/auth/ endpoints that compose apps (support/api.py); the rest are accounts.urls."""

from django.urls import path

from support import api

urlpatterns = [
    path("login/", api.LoginApi.as_view(), name="rest_login"),
    path("user/", api.AccountApi.as_view(), name="rest_user_details"),
    path("registration/", api.RegistrationApi.as_view(), name="rest_register"),
]
