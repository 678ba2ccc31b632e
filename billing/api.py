"""Billing endpoints: one thin APIView per operation; the rules live in services."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import status
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import AuthenticatedRequest
from billing import selectors, services
from billing.models import SubscriptionStatus
from billing.serializers import (
    CardSavedOutput,
    InvoicePageOutput,
    PauseInput,
    PaymentMethodInput,
    PlanInput,
    SetupIntentOutput,
    StripeEventInput,
    SubscriptionOutput,
    WebhookReceivedOutput,
)
from config.errors import ApplicationError
from config.schema import error_responses

# The errors of the billing operations, beyond those every operation can give (config/schema.py).
STRIPE_DOWN = "stripe_unavailable: Stripe could not be reached, failed or was busy; try again."
DECLINED = "card_declined: the card was refused; Stripe's message is in `detail`."
NO_SUCH_CARD = "stripe_object_missing: Stripe has no such payment method."
EMAIL_REFUSED = "email_invalid when Stripe refuses the reader's email address (docs/api.md)"
BAD_PLAN_OR_CARD = (
    "Invalid input (see `fields`): unknown_plan, invalid_payment_method; or "
    f"stripe_invalid_request when Stripe refuses the card; {EMAIL_REFUSED}."
)
TAX_ERRORS = (
    "invalid_country (a malformed `country`), tax_location_invalid (Stripe Tax cannot place "
    "the address: `fields` names `postal_code` or `country`), invalid_vat_id"
)
NOT_LIVE = "no_subscription: there is no current subscription"
IN_PROGRESS = "operation_in_progress: the same request is already under way"
CARD_EXAMPLE = OpenApiExample(
    "monthly, with a card",
    value={"plan": "monthly", "payment_method": "pm_card_visa"},
    request_only=True,
)


def tax_location_from(request: Request, data: dict[str, object]) -> services.TaxLocation | None:
    """The reader's tax location from a trial or subscribe body (TaxLocationInput), else
    the CDN's country header when GEO_COUNTRY_HEADER names one (trusted only then)."""
    return services.tax_location_parse(
        country=str(data.get("country") or "") or None,
        postal_code=str(data.get("postal_code") or ""),
        vat_id=str(data.get("vat_id") or ""),
        geo_country=selectors.request_geo_country(request=request),
    )


def subscription_response(
    result: services.SubscriptionResult, code: int = status.HTTP_200_OK
) -> Response:
    data = SubscriptionOutput(
        result.subscription, context={"client_secret": result.client_secret}
    ).data
    return Response(data, status=code)


class SubscriptionDetailApi(APIView):
    @extend_schema(
        responses={
            200: SubscriptionOutput,
            **error_responses(
                {
                    404: "no_subscription: the reader has never subscribed.",
                    503: f"{STRIPE_DOWN} (asked while a payment awaits authentication)",
                }
            ),
        }
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        subscription = selectors.subscription_get_current(user=request.user)
        if subscription is None:
            raise ApplicationError(
                "You have no subscription.", code="no_subscription", status_code=404
            )
        client_secret = ""
        if subscription.status == SubscriptionStatus.INCOMPLETE:
            # Waiting on the reader's authentication: ask Stripe how it went.
            subscription = services.subscription_sync_from_stripe(
                stripe_subscription_id=subscription.stripe_subscription_id,
                audit=services.Audit(services.Actor.STRIPE),
            )
            client_secret = selectors.subscription_client_secret(subscription=subscription)
        return subscription_response(services.SubscriptionResult(subscription, client_secret))


class SubscriptionResumeApi(APIView):
    @extend_schema(
        request=None,
        responses={
            200: SubscriptionOutput,
            **error_responses(
                {
                    402: f"{DECLINED} (resuming a paused subscription charges the card)",
                    409: f"{NOT_LIVE}; not_cancelling: nothing to undo (no pending "
                    "cancellation, no pause); "
                    f"payment_method_required: add a card first; {IN_PROGRESS}.",
                    503: STRIPE_DOWN,
                }
            ),
        },
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        subscription = services.subscription_resume(user=request.user)
        return subscription_response(services.SubscriptionResult(subscription))


class SubscriptionPauseApi(APIView):
    @extend_schema(
        request=PauseInput,
        examples=[OpenApiExample("two months", value={"months": 2}, request_only=True)],
        responses={
            200: SubscriptionOutput,
            **error_responses(
                {
                    400: "Invalid input (see `fields`): invalid_pause_length (1 to 3 months).",
                    409: f"{NOT_LIVE}; already_paused; subscription_not_pausable: only an "
                    f"active subscription without a pending cancellation; {IN_PROGRESS}.",
                    503: STRIPE_DOWN,
                }
            ),
        },
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = PauseInput(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = services.subscription_pause(
            user=request.user, months=data.validated_data["months"]
        )
        return subscription_response(services.SubscriptionResult(subscription))


class SubscriptionChangePlanApi(APIView):
    @extend_schema(
        request=PlanInput,
        examples=[OpenApiExample("yearly", value={"plan": "yearly"}, request_only=True)],
        responses={
            200: SubscriptionOutput,
            **error_responses(
                {
                    400: "Invalid input (see `fields`): unknown_plan.",
                    402: f"{DECLINED} (a proration is charged at once)",
                    409: f"{NOT_LIVE}; same_plan; subscription_not_changeable: "
                    f"only a trialing or active one, not paused, changes plan; {IN_PROGRESS}.",
                    503: STRIPE_DOWN,
                }
            ),
        },
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = PlanInput(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = services.subscription_change_plan(
            user=request.user, plan_code=data.validated_data["plan"]
        )
        return subscription_response(services.SubscriptionResult(subscription))


class PaymentMethodApi(APIView):
    @extend_schema(
        request=PaymentMethodInput,
        examples=[
            OpenApiExample("a card", value={"payment_method": "pm_card_visa"}, request_only=True)
        ],
        responses={
            200: PolymorphicProxySerializer(
                component_name="PaymentMethodResult",
                serializers=[SubscriptionOutput, CardSavedOutput],
                resource_type_field_name=None,
            ),
            **error_responses(
                {
                    400: "Invalid input (see `fields`): invalid_payment_method; or "
                    f"stripe_invalid_request when Stripe refuses the card; {EMAIL_REFUSED}.",
                    402: DECLINED,
                    404: NO_SUCH_CARD,
                    409: f"payment_method_required, {IN_PROGRESS}.",
                    503: STRIPE_DOWN,
                }
            ),
        },
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = PaymentMethodInput(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = services.payment_method_update(
            user=request.user, payment_method_id=data.validated_data["payment_method"]
        )
        if subscription is None:
            return Response({"detail": "Card saved.", "code": "payment_method_saved"})
        return subscription_response(services.SubscriptionResult(subscription))


class SetupIntentApi(APIView):
    @extend_schema(
        request=None,
        responses={
            200: SetupIntentOutput,
            **error_responses(
                {
                    400: f"Invalid input: {EMAIL_REFUSED}.",
                    409: f"{IN_PROGRESS}.",
                    503: STRIPE_DOWN,
                }
            ),
        },
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        return Response({"client_secret": services.setup_intent_create(user=request.user)})


class InvoiceListApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("cursor", str, required=False)],
        responses={200: InvoicePageOutput},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        page = selectors.invoice_list_for_user(
            user=request.user, cursor=request.query_params.get("cursor", "")
        )
        return Response(InvoicePageOutput({"results": page.results, "next": page.next}).data)


class _RawBody(BaseParser):
    """Accept any body untouched: the signature is over the exact bytes."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return None


class StripeWebhookApi(APIView):
    """Stripe's webhooks: unauthenticated but signed; stored once, processed later.

    A missing, wrong or stale signature, or a malformed or oversized body, is
    a 400 with nothing stored. No Stripe call happens here: processing is
    queued after commit, and the answer is a fast 200 (also for a duplicate).
    """

    authentication_classes = ()
    permission_classes = (AllowAny,)
    parser_classes = (_RawBody,)

    @extend_schema(
        request={"application/json": StripeEventInput},
        parameters=[
            OpenApiParameter(
                "Stripe-Signature",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="t=<unix time>,v1=<HMAC-SHA256 of t.body with the endpoint secret>",
            )
        ],
        responses={
            200: WebhookReceivedOutput,
            **error_responses(
                {
                    400: "missing_signature, invalid_signature (wrong or stale), "
                    "malformed_event (not a Stripe event), payload_too_large."
                }
            ),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        # ApiErrorMiddleware has refused a Content-Length that is not a number.
        length = request.META.get("CONTENT_LENGTH") or "0"
        if length.isascii() and length.isdigit():
            services.webhook_body_check_size(size=int(length))
        created = services.stripe_event_receive(
            payload=request.body, signature=request.META.get("HTTP_STRIPE_SIGNATURE", "")
        )
        return Response({"received": True, "duplicate": not created})
