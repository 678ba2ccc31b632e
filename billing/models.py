"""Billing state. Stripe is the source of truth for money and subscription
state; Subscription rows are a cache of it, written only by
billing.services.subscription_apply_stripe (docs/architecture.md, "Sources of truth")."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class Plan(models.Model):
    class Interval(models.TextChoices):
        MONTH = "month", "Monthly"
        YEAR = "year", "Yearly"

    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    # The default currency's price, as last synced (the price book is PlanPrice).
    amount = models.PositiveIntegerField(help_text="In the currency's minor unit (999 = 9.99).")
    currency = models.CharField(max_length=3, help_text="ISO 4217, lower case (Stripe's form).")
    interval = models.CharField(max_length=8, choices=Interval.choices)
    trial_days = models.PositiveSmallIntegerField(default=30)
    active = models.BooleanField(default=True)
    stripe_product_id = models.CharField(max_length=255, blank=True)
    stripe_price_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("amount", "code")
        constraints = [
            models.UniqueConstraint(
                fields=["stripe_price_id"],
                condition=~Q(stripe_price_id=""),
                name="billing_plan_unique_stripe_price",
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[a-z]{3}$"), name="billing_plan_currency_iso"
            ),
        ]
        permissions = [
            ("sync_plan", "Can sync the price book to Stripe"),
            ("view_revenue_report", "Can see revenue and MRR per currency"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class PlanPrice(models.Model):
    """The price book: what a plan costs in one currency, set by staff in admin (never
    converted at run time). Synced to Stripe as one Price per plan with its
    currency_options (billing.services.price_book; docs/currencies.md)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="prices")
    currency = models.CharField(max_length=3, help_text="ISO 4217, lower case (eur).")
    unit_amount = models.PositiveIntegerField(
        help_text="In the currency's minor unit (999 = 9.99), tax included where the "
        "currency's prices are tax-inclusive."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("plan", "currency")
        constraints = [
            models.UniqueConstraint(fields=["plan", "currency"], name="billing_planprice_unique"),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[a-z]{3}$"), name="billing_planprice_currency_iso"
            ),
            models.CheckConstraint(
                condition=Q(unit_amount__gt=0), name="billing_planprice_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan.code} {self.currency} {self.unit_amount}"


class PlanStripePrice(models.Model):
    """Every Stripe Price made for a plan, with its amount in each currency: the
    current one is Plan.stripe_price_id; older ones are archived in Stripe and kept
    by the subscribers who have them (a subscription maps back to its plan here)."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="stripe_prices")
    stripe_price_id = models.CharField(max_length=255, unique=True)
    interval = models.CharField(max_length=8, choices=Plan.Interval.choices)
    options = models.JSONField(
        default=dict,
        help_text='Per currency, as synced: {"eur": {"unit_amount": 999, '
        '"tax_behavior": "inclusive"}}.',
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("plan", "-created_at")

    def __str__(self) -> str:
        return self.stripe_price_id


class Customer(models.Model):
    """The Stripe customer of one reader. The user link is cleared when a reader leaves."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="billing_customer",
    )
    stripe_customer_id = models.CharField(max_length=255, unique=True)
    default_payment_method_id = models.CharField(max_length=255, blank=True)
    # Where the reader is for tax, as set on the Stripe customer's address
    # (billing/services/tax.py): ISO 3166-1 alpha-2, blank when never given. Amounts
    # in mails and the API are written in this country's locale (billing/money.py).
    country = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    currency = models.CharField(
        max_length=3,
        blank=True,
        help_text="Stripe's customer currency, set by its first subscription: while one is "
        "live, every other is in it too (billing.selectors.currencies).",
    )
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.stripe_customer_id


class SubscriptionStatus(models.TextChoices):
    """Stripe's subscription statuses, verbatim."""

    INCOMPLETE = "incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired"
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    CANCELED = "canceled"
    UNPAID = "unpaid"
    PAUSED = "paused"


# A reader has at most one subscription in these states (a database constraint).
LIVE_STATUSES = (
    SubscriptionStatus.INCOMPLETE,
    SubscriptionStatus.TRIALING,
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.PAST_DUE,
    SubscriptionStatus.UNPAID,
    SubscriptionStatus.PAUSED,
)
FINAL_STATUSES = (SubscriptionStatus.CANCELED, SubscriptionStatus.INCOMPLETE_EXPIRED)

# Staff may extend a trial or grant free access by up to this many days with the
# plain permission (extend_trial, grant_access); longer needs the *_long one.
SUPPORT_MAX_DAYS = 30


class Subscription(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subscriptions",
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="subscriptions")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    stripe_subscription_id = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=32, choices=SubscriptionStatus.choices)
    trial_start = models.DateTimeField(null=True, blank=True)
    trial_end = models.DateTimeField(null=True, blank=True)
    current_period_start = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    canceled_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    latest_invoice_id = models.CharField(max_length=255, blank=True)
    currency = models.CharField(max_length=3, blank=True, help_text="Stripe's, lower case.")
    stripe_price_id = models.CharField(max_length=255, blank=True, help_text="Its item's price.")
    default_payment_method_id = models.CharField(max_length=255, blank=True)
    # Stripe's pause_collection (a reader's pause, billing/services/pause.py): its
    # behavior, blank when collection is not paused, and when it resumes by itself.
    pause_behavior = models.CharField(max_length=32, blank=True)
    pause_resumes_at = models.DateTimeField(null=True, blank=True)
    stripe_created = models.DateTimeField(null=True, blank=True)
    discount = models.JSONField(
        default=dict,
        blank=True,
        help_text="Stripe's discount on it (billing.services.apply.discount_mirror); {} if none.",
    )
    latest_invoice_amounts = models.JSONField(
        default=dict,
        blank=True,
        help_text="The latest invoice's currency, subtotal (net), tax and total, in minor "
        "units (billing.services.apply.invoice_amounts); {} if none.",
    )
    synced_at = models.DateTimeField(help_text="When this row last took Stripe's state.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at",)
        permissions = [
            ("cancel_subscription", "Can cancel a reader's subscription"),
            ("resume_subscription", "Can resume a reader's subscription"),
            ("extend_trial", f"Can extend a trial by up to {SUPPORT_MAX_DAYS} days"),
            ("extend_trial_long", f"Can extend a trial by more than {SUPPORT_MAX_DAYS} days"),
            ("resync_subscription", "Can resync a reader's billing from Stripe"),
            ("refund_payment", "Can refund a reader's last payment"),
            ("grant_access", f"Can grant complimentary access for up to {SUPPORT_MAX_DAYS} days"),
            (
                "grant_access_long",
                f"Can grant complimentary access for more than {SUPPORT_MAX_DAYS} days",
            ),
            ("revoke_grant", "Can revoke complimentary access"),
            ("end_pause", "Can end a reader's pause"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status__in=LIVE_STATUSES) & Q(user__isnull=False),
                name="billing_one_live_subscription_per_reader",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "trial_end"], name="billing_sub_status_trial_end"),
            models.Index(fields=["user", "-created_at"], name="billing_sub_user_created"),
        ]

    def __str__(self) -> str:
        return f"{self.stripe_subscription_id} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    @property
    def is_collection_paused(self) -> bool:
        """The reader paused (Stripe's pause_collection is set), whatever the status."""
        return bool(self.pause_behavior)


class TrialClaim(models.Model):
    """One free trial per reader: by normalised email and, when known, by card.

    The normalised email is kept as its SHA-256 digest: enough to recognise the
    mailbox again, nothing to erase when the reader leaves.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="trial_claims",
    )
    email_digest = models.CharField(max_length=64, unique=True)
    card_fingerprint = models.CharField(max_length=64, blank=True, db_index=True)
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claimed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"trial claimed {self.claimed_at:%Y-%m-%d}"


class StripeAttempt(models.Model):
    """One attempt of one Stripe write, recorded before the call.

    Its idempotency key names the attempt: a retry of the attempt (after a
    timeout, a 5xx, a crash) reuses the key, so Stripe replays instead of
    acting twice; a new attempt (another card, say) gets a new key.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    operation = models.CharField(max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stripe_attempts",
    )
    params = models.JSONField(default=dict)
    params_digest = models.CharField(max_length=64, help_text="sha256 of the canonical params.")
    idempotency_key = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    stripe_object_id = models.CharField(max_length=255, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Who may still be using the attempt's key (subscription creations): each
    # request that takes it up counts itself in and out, and the lease covers a
    # request that died holding it. Held and leased: it may be in flight at Stripe.
    holders = models.PositiveIntegerField(default=0)
    held_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)
        indexes = [
            models.Index(
                fields=["user", "operation", "status", "params_digest"],
                name="billing_attempt_lookup",
            ),
            models.Index(  # the retention job's walk (billing/services/retention.py)
                fields=["created_at"], condition=~Q(status="pending"), name="billing_attempt_done"
            ),
        ]
        constraints = [
            # Two requests racing to start the same attempt end up sharing one key.
            models.UniqueConstraint(
                fields=["operation", "user", "params_digest"],
                condition=Q(status="pending"),
                name="billing_attempt_one_pending",
            ),
            # One subscription creation in flight per reader, whatever its parameters.
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status="pending", operation="subscription.create"),
                name="billing_attempt_one_creation_in_flight",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.status} ({self.idempotency_key})"


class StripeEvent(models.Model):
    """A Stripe webhook event, stored once (its id is Stripe's) before any processing."""

    class Status(models.TextChoices):
        RECEIVED = "received"
        PROCESSING = "processing"
        PROCESSED = "processed"
        FAILED = "failed"
        IGNORED = "ignored"

    id = models.CharField(max_length=255, primary_key=True)
    type = models.CharField(max_length=128, db_index=True)
    api_version = models.CharField(max_length=64, blank=True)
    livemode = models.BooleanField(default=False)
    object_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_created = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField()
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.RECEIVED, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stripe_events",
        help_text="The reader the event concerns, once known.",
    )
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processing_started_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-received_at",)
        permissions = [("reprocess_stripeevent", "Can reprocess a Stripe event")]
        indexes = [  # the retention job's walk (billing/services/retention.py)
            models.Index(
                fields=["received_at"],
                condition=Q(status__in=["processed", "ignored"]),
                name="billing_event_done",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.type} ({self.status})"

    @property
    def audit_reason(self) -> str:
        """The reason on the audit entries that processing this event writes: how the
        reader's timeline tells an event's effects from other entries."""
        return f"webhook {self.id}"


class Notification(models.Model):
    """An email sent to a reader about billing: each kind at most once per Stripe object."""

    kind = models.CharField(max_length=64)
    key = models.CharField(
        max_length=255, help_text="The invoice or subscription event it is about."
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="billing_notifications",
    )
    stripe_event = models.ForeignKey(
        StripeEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="billing_notification_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"
