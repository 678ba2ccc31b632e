"""Account endpoints: dj-rest-auth's views with our throttles and permissions."""

from dj_rest_auth.registration.views import (
    RegisterView,
    ResendEmailVerificationView,
    VerifyEmailView,
)
from dj_rest_auth.serializers import TokenSerializer
from dj_rest_auth.views import LoginView, LogoutView, PasswordResetView, UserDetailsView
from drf_spectacular.utils import OpenApiExample, PolymorphicProxySerializer, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.serializers import MessageOutput
from accounts.services import user_delete_account
from accounts.throttles import AUTH_THROTTLES
from config.schema import error_responses
from entitlements.services import meter_merge_from_request

# dj-rest-auth's views answer these, whatever their serializers suggest to drf-spectacular.
TOKEN = TokenSerializer
MESSAGE = MessageOutput
EXAMPLE_PASSWORD = "correct-horse-battery-staple"  # noqa: S105 - a documentation example


@extend_schema(
    responses={200: TOKEN},
    examples=[
        OpenApiExample(
            "a reader",
            value={"email": "reader@example.com", "password": EXAMPLE_PASSWORD},
            request_only=True,
        )
    ],
)
class LoginApi(LoginView):
    throttle_classes = AUTH_THROTTLES
    throttle_scope = "login"

    def login(self) -> None:
        super().login()
        # The free articles read before signing in count on the account too.
        meter_merge_from_request(user=self.user, request=self.request)


@extend_schema(
    responses={
        201: PolymorphicProxySerializer(
            component_name="RegistrationResult",
            serializers=[TOKEN, MESSAGE],
            resource_type_field_name=None,
        )
    },
    description="201 with the new account's token, or with a message when "
    "ACCOUNT_EMAIL_VERIFICATION is mandatory (no token until the address is verified).",
    examples=[
        OpenApiExample(
            "a new reader",
            value={
                "email": "new.reader@example.com",
                "password1": EXAMPLE_PASSWORD,
                "password2": EXAMPLE_PASSWORD,
            },
            request_only=True,
        )
    ],
)
class RegistrationApi(RegisterView):
    throttle_classes = AUTH_THROTTLES
    throttle_scope = "registration"

    def perform_create(self, serializer):  # type: ignore[no-untyped-def]
        user = super().perform_create(serializer)
        # The free articles read before signing up count on the new account.
        meter_merge_from_request(user=user, request=self.request)
        return user


@extend_schema(responses={200: MESSAGE})
class PasswordResetApi(PasswordResetView):
    throttle_classes = AUTH_THROTTLES
    throttle_scope = "password_reset"


@extend_schema(responses={200: MESSAGE})
class ResendEmailVerificationApi(ResendEmailVerificationView):
    throttle_classes = AUTH_THROTTLES
    throttle_scope = "password_reset"


class LogoutApi(LogoutView):
    """Deletes the caller's token; anonymous callers get 401."""

    permission_classes = (IsAuthenticated,)
    http_method_names = ["post", "options"]

    @extend_schema(request=None, responses={200: MESSAGE})
    def post(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        return super().post(request, *args, **kwargs)


class AccountApi(UserDetailsView):
    """GET the caller's own account; DELETE it (the reader leaves)."""

    http_method_names = ["get", "put", "patch", "delete", "options"]

    @extend_schema(
        request=None,
        responses={
            204: None,
            **error_responses(
                {
                    409: "operation_in_progress: the subscription is being changed; try again.",
                    503: "stripe_unavailable: Stripe could not be reached; nothing was erased.",
                }
            ),
        },
    )
    def delete(self, request: Request, *args, **kwargs) -> Response:  # type: ignore[no-untyped-def]
        user_delete_account(user=request.user)
        return Response(status=204)


@extend_schema(
    responses={
        200: MESSAGE,
        **error_responses({404: "not_found: no confirmation has this key (or it expired)."}),
    }
)
class VerifyEmailApi(VerifyEmailView):
    """dj-rest-auth's email verification, documented as it answers."""
