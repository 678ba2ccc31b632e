from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from billing.models import Plan, Subscription, SubscriptionStatus
from billing.selectors import amounts_display, subscription_has_unlimited_access


class PlanOutput(serializers.ModelSerializer):
    class Meta:
        model = Plan
        fields = ("code", "name", "amount", "currency", "interval", "trial_days")


class PauseCollectionOutput(serializers.Serializer):
    """The reader's pause (Stripe's pause_collection): what happens to renewals meanwhile
    (`void`: nothing is owed), and when it ends by itself."""

    behavior = serializers.CharField()
    resumes_at = serializers.DateTimeField(allow_null=True)


class DiscountOutput(serializers.Serializer):
    """Stripe's discount on a subscription (billing.services.apply.discount_mirror)."""

    offer = serializers.CharField(help_text="The promotion code's code: an offer's code.")
    percent_off = serializers.FloatField(allow_null=True)
    amount_off = serializers.IntegerField(allow_null=True, help_text="Minor units.")
    currency = serializers.CharField(allow_null=True)
    duration = serializers.CharField(allow_null=True, help_text="once, repeating or forever.")
    ends_at = serializers.DateTimeField(allow_null=True)


class InvoiceAmountsOutput(serializers.Serializer):
    """What an invoice charges, in minor units of its currency (billing.selectors.invoices:
    invoice_amounts): net, tax (Stripe Tax's), total = net + tax; each also written for
    the reader (`*_display`, in their country's locale: "9,99 €")."""

    currency = serializers.CharField()
    subtotal = serializers.IntegerField(help_text="Net: after discounts, without tax.")
    tax = serializers.IntegerField(help_text="Included in the price or added to it.")
    total = serializers.IntegerField(help_text="subtotal + tax.")
    reverse_charge = serializers.BooleanField(
        help_text="No tax charged: a business reader's VAT number (reverse charge)."
    )
    subtotal_display = serializers.CharField()
    tax_display = serializers.CharField()
    total_display = serializers.CharField()


class SubscriptionOutput(serializers.ModelSerializer):
    id = serializers.CharField(source="stripe_subscription_id")
    plan = serializers.CharField(source="plan.code")
    has_unlimited_access = serializers.SerializerMethodField()
    pause_collection = serializers.SerializerMethodField()
    client_secret = serializers.SerializerMethodField()
    discount = serializers.SerializerMethodField()
    latest_invoice = serializers.SerializerMethodField()

    class Meta:
        model = Subscription
        fields = (
            "id",
            "plan",
            "status",
            "trial_start",
            "trial_end",
            "current_period_start",
            "current_period_end",
            "cancel_at_period_end",
            "canceled_at",
            "ended_at",
            "has_unlimited_access",
            "pause_collection",
            "client_secret",
            "discount",
            "latest_invoice",
        )

    @extend_schema_field(InvoiceAmountsOutput(allow_null=True))
    def get_latest_invoice(self, obj: Subscription) -> dict[str, object] | None:
        """The latest invoice's net, tax and total (a trial's first invoice is 0)."""
        amounts = obj.latest_invoice_amounts
        if not amounts or not amounts.get("currency"):
            return None
        currency = str(amounts["currency"])
        country = obj.customer.country or None
        keys = ("currency", "subtotal", "tax", "total", "reverse_charge")
        return {
            **{key: amounts.get(key) for key in keys},
            **amounts_display(amounts, currency=currency, country=country),
        }

    @extend_schema_field(DiscountOutput(allow_null=True))
    def get_discount(self, obj: Subscription) -> dict[str, object] | None:
        """Stripe's discount on it: {offer, percent_off or amount_off, currency, ends_at}."""
        if not obj.discount:
            return None
        keys = ("offer", "percent_off", "amount_off", "currency", "duration", "ends_at")
        return {key: obj.discount.get(key) for key in keys}

    def get_has_unlimited_access(self, obj: Subscription) -> bool:
        return subscription_has_unlimited_access(obj)

    @extend_schema_field(PauseCollectionOutput(allow_null=True))
    def get_pause_collection(self, obj: Subscription) -> dict[str, object] | None:
        if not obj.is_collection_paused:
            return None
        return dict(
            PauseCollectionOutput(
                {"behavior": obj.pause_behavior, "resumes_at": obj.pause_resumes_at}
            ).data
        )

    def get_client_secret(self, obj: Subscription) -> str | None:
        """For Stripe.js to finish an authentication; only while incomplete."""
        if obj.status != SubscriptionStatus.INCOMPLETE:
            return None
        return self.context.get("client_secret") or None


class PlanInput(serializers.Serializer):
    plan = serializers.SlugField(max_length=64)


class TaxLocationInput(serializers.Serializer):
    """Where the reader is for tax (Stripe Tax: billing/services/tax.py); all optional."""

    country = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text="ISO 3166-1 alpha-2 (DE); absent: the CDN's country header, if trusted.",
    )
    postal_code = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        help_text="Needed in the US (5-digit ZIP code) and Canada.",
    )
    vat_id = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text="A business reader's VAT number, with its country prefix (FR40303265045).",
    )


class TrialInput(PlanInput, TaxLocationInput):
    payment_method = serializers.CharField(max_length=255, required=False, allow_blank=True)


class SubscribeInput(PlanInput, TaxLocationInput):
    payment_method = serializers.CharField(max_length=255)


class CancelInput(serializers.Serializer):
    at_period_end = serializers.BooleanField(default=True)


class PauseInput(serializers.Serializer):
    months = serializers.IntegerField(
        help_text="How long the pause lasts, in calendar months: 1 to 3.",
        error_messages={"invalid": "Pick 1 to 3 months."},
    )

    def validate_months(self, value: int) -> int:
        if not 1 <= value <= 3:
            raise serializers.ValidationError("Pick 1 to 3 months.", code="invalid_pause_length")
        return value


class PaymentMethodInput(serializers.Serializer):
    payment_method = serializers.CharField(max_length=255)


class CardSavedOutput(serializers.Serializer):
    """The card is the reader's default now; there is no subscription to show."""

    detail = serializers.CharField()
    code = serializers.ChoiceField(choices=["payment_method_saved"])


class StripeEventInput(serializers.Serializer):
    """A Stripe event, as Stripe signs and sends it (the fields read on arrival)."""

    id = serializers.CharField(max_length=255)
    type = serializers.CharField(max_length=128)
    created = serializers.IntegerField(min_value=0, required=False)
    api_version = serializers.CharField(required=False, allow_null=True)
    livemode = serializers.BooleanField(required=False)
    # Stripe's field is called "data", which shadows Serializer.data (not read here).
    data = serializers.DictField(  # type: ignore[assignment]
        help_text='{"object": the Stripe object the event is about}'
    )


class WebhookReceivedOutput(serializers.Serializer):
    received = serializers.BooleanField()
    duplicate = serializers.BooleanField(help_text="Stored before: nothing more was done.")


class SetupIntentOutput(serializers.Serializer):
    client_secret = serializers.CharField()


class InvoiceOutput(serializers.Serializer):
    id = serializers.CharField()
    number = serializers.CharField(allow_null=True)
    amount_due = serializers.IntegerField()
    amount_paid = serializers.IntegerField()
    discount_amount = serializers.IntegerField(help_text="Taken off by discounts (offers).")
    currency = serializers.CharField()
    subtotal = serializers.IntegerField(help_text="Net: after discounts, without tax.")
    tax = serializers.IntegerField(help_text="Stripe Tax's: included in the price or added.")
    total = serializers.IntegerField(help_text="subtotal + tax.")
    reverse_charge = serializers.BooleanField(
        help_text="No tax charged: a business reader's VAT number (reverse charge)."
    )
    subtotal_display = serializers.CharField(help_text='In the reader\'s locale: "8,39 €".')
    tax_display = serializers.CharField()
    total_display = serializers.CharField()
    amount_due_display = serializers.CharField()
    amount_paid_display = serializers.CharField()
    status = serializers.CharField(allow_null=True)
    period_start = serializers.DateTimeField(allow_null=True)
    period_end = serializers.DateTimeField(allow_null=True)
    hosted_invoice_url = serializers.CharField(allow_null=True)
    created = serializers.DateTimeField()


class InvoicePageOutput(serializers.Serializer):
    results = InvoiceOutput(many=True)
    next = serializers.CharField(allow_null=True)
