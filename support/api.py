"""The account endpoints that reach past accounts: signing in and signing up merge the
anonymous free-article meter into the account's (entitlements), and a reader leaving
ends their billing and erases their meter. Same paths as the rest of /api/auth/."""

from typing import Any

from dj_rest_auth.registration.views import RegisterView
from dj_rest_auth.views import LoginView, UserDetailsView
from drf_spectacular.utils import OpenApiExample, PolymorphicProxySerializer, extend_schema
from rest_framework.response import Response

from accounts.api import EXAMPLE_PASSWORD, MESSAGE, TOKEN
from accounts.requests import AuthenticatedRequest
from accounts.throttles import AUTH_THROTTLES
from config.schema import error_responses
from entitlements.services import meter_merge_from_request
from newsletters.api import request_ip_hash, request_source_page
from newsletters.models import Newsletter, Subscription
from newsletters.serializers import NewslettersChoice
from newsletters.services import newsletter_signup, newsletters_for_signup
from support.services import user_delete_account


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
    "ACCOUNT_EMAIL_VERIFICATION is mandatory (no token until the address is verified). "
    "`newsletters`: the slugs the reader ticked (the defaults are offered by GET "
    "/api/newsletters/, never subscribed unless sent); a confirmation email follows.",
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

    newsletters: list[Newsletter]

    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        # The newsletters ticked are checked before the account exists.
        choice = NewslettersChoice(data=request.data)
        choice.is_valid(raise_exception=True)
        slugs = choice.validated_data["newsletters"]
        self.newsletters = newsletters_for_signup(slugs=slugs) if slugs else []
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        user = super().perform_create(serializer)
        # The free articles read before signing up count on the new account.
        meter_merge_from_request(user=user, request=self.request)
        if self.newsletters:  # only what the reader ticked, confirmed by email (double opt-in)
            newsletter_signup(
                email=user.email,
                newsletters=self.newsletters,
                source=Subscription.Source.REGISTRATION,
                source_page=request_source_page(self.request, None),
                ip_hash=request_ip_hash(self.request),
            )
        return user


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
    def delete(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> Response:
        user_delete_account(user=request.user)
        return Response(status=204)
