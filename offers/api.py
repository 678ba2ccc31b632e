"""Offers endpoints, under /api/billing/: the public offer, and the plans, trial and
subscribe endpoints with an `offer` (they replace billing's at the same URLs, with
the same contract when no offer is given: config/urls.py mounts offers first)."""

from __future__ import annotations

import contextlib
from typing import Any

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import status
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import AuthenticatedRequest
from accounts.throttles import IPThrottle
from billing import selectors as billing_selectors
from billing.api import (
    BAD_PLAN_OR_CARD,
    DECLINED,
    IN_PROGRESS,
    NO_SUCH_CARD,
    STRIPE_DOWN,
    TAX_ERRORS,
    subscription_response,
    tax_location_from,
)
from billing.money import country_parse
from billing.serializers import PlanOutput, SubscriptionOutput
from config.schema import error_responses
from offers import selectors, services
from offers.serializers import (
    OfferOutput,
    OfferSubscribeInput,
    OfferTrialInput,
    PlanWithOfferOutput,
)

OFFER_ERRORS = (
    "invalid_offer (unknown code), offer_not_applicable (not for this plan, or for new "
    "subscribers only)"
)
LOCKED = "currency_locked (the reader's live subscription is in another currency)"
EXPIRED = "offer_expired: outside its window, deactivated, or no redemption left."
OFFER_EXAMPLE = OpenApiExample(
    "monthly, with an offer",
    value={"plan": "monthly", "payment_method": "pm_card_visa", "offer": "SPRING50"},
    request_only=True,
)


class PublicWithOptionalTokenApi(APIView):
    """A public endpoint that reads a reader's Token when one is sent (their currency
    lock applies) and takes a stale or wrong one as no Token: it never answers 401."""

    permission_classes = (AllowAny,)
    authentication_classes = (TokenAuthentication,)

    def perform_authentication(self, request: Request) -> None:
        # DRF has made the request anonymous when the Token is refused.
        with contextlib.suppress(AuthenticationFailed):
            request.user  # noqa: B018 - authenticates now, as APIView does


COUNTRY = OpenApiParameter(
    "country",
    str,
    required=False,
    description="ISO 3166-1 alpha-2 (DE): amounts in its currency, written in its locale.",
)


def reader_currency_for(request: Request, country_value: str | None) -> tuple[str, str | None]:
    """The reader's currency (billing.selectors.reader_currency) from an explicit
    `country`, else the configured geo header; and the country amounts are written for."""
    country = country_parse(country_value)
    geo = billing_selectors.request_geo_country(request=request)
    user = request.user if request.user.is_authenticated else None
    currency = billing_selectors.reader_currency(user=user, country=country, geo_country=geo)
    return currency, country or geo


class OfferDetailApi(PublicWithOptionalTokenApi):
    """An offer's public terms and its price per plan: anyone may ask (throttled); a
    signed-in reader's currency lock applies."""

    throttle_classes = (IPThrottle,)
    throttle_scope = "offer_lookup"

    @extend_schema(
        parameters=[COUNTRY],
        responses={
            200: OfferOutput,
            **error_responses(
                {
                    400: "invalid_country.",
                    404: "offer_not_found.",
                    409: LOCKED,
                    410: EXPIRED,
                }
            ),
        },
    )
    def get(self, request: Request, code: str) -> Response:
        currency, country = reader_currency_for(request, request.query_params.get("country"))
        offer = selectors.offer_get_public(code=code)
        body = {
            **selectors.offer_public_terms(offer=offer, currency=currency),
            "prices": [
                selectors.offer_plan_price(
                    offer=offer, plan=plan, currency=currency, country=country
                )
                for plan in selectors.offer_plans(offer=offer)
            ],
        }
        return Response(OfferOutput(body).data)


class PlanListApi(PublicWithOptionalTokenApi):
    """The plans on sale: public, as a price list is, in the reader's currency (from
    ?country=, else the geo header, else the default; a signed-in reader's currency
    lock applies); with ?offer=CODE each shows its price under the offer too."""

    throttle_classes = (IPThrottle,)
    throttle_scope = "offer_lookup"

    def get_throttles(self):
        # Only a lookup of an offer is throttled; the price list is not.
        return super().get_throttles() if self.request.query_params.get("offer") else []

    @extend_schema(
        parameters=[OpenApiParameter("offer", str, required=False), COUNTRY],
        responses={
            200: PolymorphicProxySerializer(
                component_name="PlanList",
                serializers=[PlanOutput, PlanWithOfferOutput],
                resource_type_field_name=None,
                many=True,
            ),
            **error_responses(
                {
                    400: "invalid_country.",
                    404: "offer_not_found.",
                    409: LOCKED,
                    410: EXPIRED,
                }
            ),
        },
    )
    def get(self, request: Request) -> Response:
        currency, country = reader_currency_for(request, request.query_params.get("country"))
        plans = billing_selectors.plan_list_priced(currency=currency, country=country)
        code = request.query_params.get("offer", "")
        if not code:
            return Response(PlanOutput(plans, many=True).data)
        offer = selectors.offer_get_public(code=code)
        prices = {
            priced.code: selectors.offer_plan_price(
                offer=offer, plan=priced.plan, currency=currency, country=country
            )
            for priced in plans
            if selectors.offer_applies_to(offer=offer, plan=priced.plan)
        }
        context = {"offer_prices": prices}
        return Response(PlanWithOfferOutput(plans, many=True, context=context).data)


def reader_place(request: Request, data: dict[str, Any]) -> dict[str, Any]:
    """Where a trial or subscribe request's reader is, once: the currency to charge and
    the tax location (billing), from one `country` and the trusted CDN header."""
    currency, _ = reader_currency_for(request, data.get("country"))
    return {"currency": currency, "location": tax_location_from(request, data)}


class TrialStartApi(APIView):
    @extend_schema(
        request=OfferTrialInput,
        examples=[OFFER_EXAMPLE],
        responses={
            201: SubscriptionOutput,
            **error_responses(
                {
                    400: f"{BAD_PLAN_OR_CARD} {OFFER_ERRORS}; {TAX_ERRORS}.",
                    402: DECLINED,
                    404: NO_SUCH_CARD,
                    409: "trial_already_used (by this account, mailbox or card), "
                    f"subscription_exists, offer_already_used, {LOCKED}, {IN_PROGRESS}.",
                    410: EXPIRED,
                    503: STRIPE_DOWN,
                }
            ),
        },
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = OfferTrialInput(data=request.data)
        data.is_valid(raise_exception=True)
        plan = data.validated_data["plan"]
        payment_method = data.validated_data.get("payment_method", "")
        result = services.offer_start_trial(
            user=request.user,
            plan_code=plan,
            offer_code=data.validated_data.get("offer") or "",
            payment_method_id=payment_method,
            **reader_place(request, data.validated_data),
        )
        return subscription_response(result, status.HTTP_201_CREATED)


class SubscribeApi(APIView):
    @extend_schema(
        request=OfferSubscribeInput,
        examples=[OFFER_EXAMPLE],
        responses={
            201: SubscriptionOutput,
            **error_responses(
                {
                    400: f"{BAD_PLAN_OR_CARD} {OFFER_ERRORS}; {TAX_ERRORS}.",
                    402: DECLINED,
                    404: NO_SUCH_CARD,
                    409: f"subscription_exists, offer_already_used, {LOCKED}, {IN_PROGRESS}.",
                    410: EXPIRED,
                    503: STRIPE_DOWN,
                }
            ),
        },
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = OfferSubscribeInput(data=request.data)
        data.is_valid(raise_exception=True)
        plan = data.validated_data["plan"]
        payment_method = data.validated_data["payment_method"]
        result = services.offer_subscribe(
            user=request.user,
            plan_code=plan,
            offer_code=data.validated_data.get("offer") or "",
            payment_method_id=payment_method,
            **reader_place(request, data.validated_data),
        )
        return subscription_response(result, status.HTTP_201_CREATED)
