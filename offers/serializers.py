from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from billing.serializers import PlanOutput, SubscribeInput, TrialInput


def _offer_code() -> serializers.CharField:
    return serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text="An offer's code (case-insensitive).",
    )


class OfferTrialInput(TrialInput):
    offer = _offer_code()


class OfferSubscribeInput(SubscribeInput):
    offer = _offer_code()


class OfferPlanPriceOutput(serializers.Serializer):
    plan = serializers.CharField()
    amount = serializers.IntegerField(help_text="Without the offer, in minor units.")
    currency = serializers.CharField(help_text="The reader's currency.")
    display = serializers.CharField(help_text="`amount` in the reader's locale.")
    interval = serializers.CharField()
    discounted_amount = serializers.IntegerField(
        allow_null=True, help_text="With the offer, for its duration; null: no amount in it."
    )
    discounted_display = serializers.CharField(
        allow_null=True, help_text="`discounted_amount` in the reader's locale."
    )
    duration = serializers.CharField()
    duration_in_months = serializers.IntegerField(allow_null=True)
    trial_days = serializers.IntegerField()


class OfferOutput(serializers.Serializer):
    code = serializers.CharField()
    headline = serializers.CharField()
    terms = serializers.CharField()
    percent_off = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    amount_off = serializers.IntegerField(allow_null=True)
    currency = serializers.CharField(allow_null=True)
    duration = serializers.CharField()
    duration_in_months = serializers.IntegerField(allow_null=True)
    trial_days = serializers.IntegerField(allow_null=True)
    starts_at = serializers.DateTimeField(allow_null=True)
    ends_at = serializers.DateTimeField(allow_null=True)
    first_time_only = serializers.BooleanField()
    prices = OfferPlanPriceOutput(many=True)


class PlanWithOfferOutput(PlanOutput):
    """A plan, and with ?offer= its price under the offer (null if not for this plan)."""

    offer = serializers.SerializerMethodField()

    @extend_schema_field(OfferPlanPriceOutput(allow_null=True))
    def get_offer(self, obj: object) -> dict[str, object] | None:
        prices: dict[str, dict[str, object]] = self.context.get("offer_prices") or {}
        return prices.get(getattr(obj, "code", ""))
