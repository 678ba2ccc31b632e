"""Retention endpoints, under /api/billing/subscription/: the reasons and their save
offers, the cancellation with a reason (it replaces billing's at the same URL: the
same contract plus `reason` and `comment`), and taking the save offer."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import AuthenticatedRequest
from billing import services as billing_services
from billing.api import DECLINED, IN_PROGRESS, NOT_LIVE, STRIPE_DOWN, subscription_response
from billing.serializers import CancelInput, SubscriptionOutput
from config.schema import error_responses
from offers import retention_selectors
from offers.models import COMMENT_MAX_LENGTH, CancelReason
from offers.serializers import OfferOutput
from offers.services import retention

REASONS = ", ".join(CancelReason.values)
INVALID_REASON = f"invalid_reason: `reason` is missing or not one of {REASONS}"


class SaveOfferOutput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["discount", "pause"])
    months = serializers.IntegerField(allow_null=True, help_text="A pause's length.")
    offer = OfferOutput(allow_null=True, help_text="A discount's offer (public terms).")


class CancelOptionOutput(serializers.Serializer):
    reason = serializers.CharField()
    # (a field named label: not the serializer's own Field.label)
    label = serializers.CharField(  # type: ignore[assignment]
        help_text="In the site's language (LANGUAGE_CODE); marked for translation."
    )
    takes_comment = serializers.BooleanField(help_text="`other`: the reader says why.")
    save_offer = SaveOfferOutput(allow_null=True)


class CancelWithReasonInput(CancelInput):
    reason = serializers.CharField(required=False, allow_blank=True, help_text=REASONS)
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=f"Free text, at most {COMMENT_MAX_LENGTH} characters (400 invalid_comment).",
    )


class SaveOfferInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, help_text=REASONS)


class CancelOptionsApi(APIView):
    @extend_schema(responses={200: CancelOptionOutput(many=True)})
    def get(self, request: AuthenticatedRequest) -> Response:
        options = retention_selectors.cancel_options(user=request.user)
        return Response(CancelOptionOutput(options, many=True).data)


class CancelWithReasonApi(APIView):
    @extend_schema(
        request=CancelWithReasonInput,
        examples=[
            OpenApiExample(
                "too expensive",
                value={"reason": "too_expensive", "at_period_end": True},
                request_only=True,
            )
        ],
        responses={
            200: SubscriptionOutput,
            **error_responses(
                {
                    400: f"{INVALID_REASON}; invalid_comment: over {COMMENT_MAX_LENGTH} chars.",
                    409: f"{NOT_LIVE}, {IN_PROGRESS}.",
                    503: STRIPE_DOWN,
                }
            ),
        },
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = CancelWithReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = retention.subscription_cancel_with_reason(
            user=request.user,
            reason=data.validated_data.get("reason", ""),
            comment=data.validated_data["comment"],
            at_period_end=data.validated_data["at_period_end"],
        )
        return subscription_response(billing_services.SubscriptionResult(subscription))


class SaveOfferApi(APIView):
    @extend_schema(
        request=SaveOfferInput,
        responses={
            200: SubscriptionOutput,
            **error_responses(
                {
                    400: f"{INVALID_REASON}; offer_not_applicable (not for the reader's plan).",
                    402: DECLINED,
                    409: f"no_save_offer (none for this reason), {NOT_LIVE}, "
                    "save_offer_already_used (one per subscription), subscription_not_changeable "
                    "(a cancellation is pending: resume first), the pause's "
                    f"already_paused and subscription_not_pausable, {IN_PROGRESS}.",
                    410: "offer_expired: the discount's offer is over.",
                    503: STRIPE_DOWN,
                }
            ),
        },
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = SaveOfferInput(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = retention.save_offer_apply(
            user=request.user, reason=data.validated_data.get("reason", "")
        )
        return subscription_response(billing_services.SubscriptionResult(subscription))
