"""GET /api/billing/offers/?eligible=1: the offers the signed-in reader may use now
(win-back offers for a reader whose subscription ended among them)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import AuthenticatedRequest
from billing.selectors import reader_currency
from config.errors import ApplicationError
from config.schema import error_responses
from offers import selectors
from offers.serializers import OfferOutput
from offers.winback import offers_eligible_for_reader


class EligibleOffersOutput(serializers.Serializer):
    results = OfferOutput(many=True)


class OfferListApi(APIView):
    """Only the reader's own list: codes are handed out by campaigns, so there is no
    public list of every offer (docs/api.md). Token authentication (the default)."""

    @extend_schema(
        operation_id="billing_offers_eligible_list",
        parameters=[
            OpenApiParameter("eligible", str, required=True, enum=["1"], description="Must be 1.")
        ],
        responses={
            200: EligibleOffersOutput,
            **error_responses({400: "eligible_required: ask with ?eligible=1."}),
        },
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        if request.query_params.get("eligible") != "1":
            raise ApplicationError(
                "Ask for the offers you may use with ?eligible=1; there is no public list.",
                code="eligible_required",
                fields={"eligible": ["Must be 1."]},
            )
        currency = reader_currency(user=request.user, country=None)
        results = [
            {
                **selectors.offer_public_terms(offer=offer, currency=currency),
                "prices": [
                    selectors.offer_plan_price(offer=offer, plan=plan, currency=currency)
                    for plan in selectors.offer_plans(offer=offer)
                ],
            }
            for offer in offers_eligible_for_reader(user=request.user)
        ]
        return Response(EligibleOffersOutput({"results": results}).data)
