"""Account endpoints: dj-rest-auth's views with our throttles and permissions.

Signing in, signing up and leaving touch other apps (the anonymous meter, billing):
those three views are support's (support/api.py), at the same /api/auth/ paths."""

from dj_rest_auth.registration.views import ResendEmailVerificationView, VerifyEmailView
from dj_rest_auth.serializers import TokenSerializer
from dj_rest_auth.views import LogoutView, PasswordResetView
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated

from accounts.serializers import MessageOutput
from accounts.throttles import AUTH_THROTTLES
from config.schema import error_responses

# dj-rest-auth's views answer these, whatever their serializers suggest to drf-spectacular.
TOKEN = TokenSerializer
MESSAGE = MessageOutput
EXAMPLE_PASSWORD = "correct-horse-battery-staple"  # noqa: S105 - a documentation example


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
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


@extend_schema(
    responses={
        200: MESSAGE,
        **error_responses({404: "not_found: no confirmation has this key (or it expired)."}),
    }
)
class VerifyEmailApi(VerifyEmailView):
    """dj-rest-auth's email verification, documented as it answers."""
