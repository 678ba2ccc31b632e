"""Account endpoints: dj-rest-auth's views with our throttles and permissions."""

from dj_rest_auth.registration.views import RegisterView, ResendEmailVerificationView
from dj_rest_auth.views import LoginView, LogoutView, PasswordResetView, UserDetailsView
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.services import user_delete_account
from accounts.throttles import AUTH_THROTTLES
from entitlements.services import meter_merge_from_request


class LoginApi(LoginView):
    throttle_classes = AUTH_THROTTLES
    throttle_scope = "login"

    def login(self) -> None:
        super().login()
        # The free articles read before signing in count on the account too.
        meter_merge_from_request(user=self.user, request=self.request)


class RegistrationApi(RegisterView):
    throttle_classes = AUTH_THROTTLES
    throttle_scope = "registration"

    def perform_create(self, serializer):  # type: ignore[no-untyped-def]
        user = super().perform_create(serializer)
        # The free articles read before signing up count on the new account.
        meter_merge_from_request(user=user, request=self.request)
        return user


class PasswordResetApi(PasswordResetView):
    throttle_classes = AUTH_THROTTLES
    throttle_scope = "password_reset"


class ResendEmailVerificationApi(ResendEmailVerificationView):
    throttle_classes = AUTH_THROTTLES
    throttle_scope = "password_reset"


class LogoutApi(LogoutView):
    """Deletes the caller's token; anonymous callers get 401."""

    permission_classes = (IsAuthenticated,)
    http_method_names = ["post", "options"]

    @extend_schema(
        request=None,
        responses={200: inline_serializer("LogoutResult", {"detail": serializers.CharField()})},
    )
    def post(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        return super().post(request, *args, **kwargs)


class AccountApi(UserDetailsView):
    """GET the caller's own account; DELETE it (the reader leaves)."""

    http_method_names = ["get", "put", "patch", "delete", "options"]

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, *args, **kwargs) -> Response:  # type: ignore[no-untyped-def]
        user_delete_account(user=request.user)
        return Response(status=204)
