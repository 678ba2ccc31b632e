"""Offers: a code readers type for a discount (and maybe a longer trial), synced to
Stripe as one coupon and one promotion code; and their redemptions, one per reader."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

# Stripe's promotion codes: letters and digits; we keep them readable.
CODE_PATTERN = r"^[A-Za-z0-9]{3,40}$"
TRIAL_DAYS_MIN, TRIAL_DAYS_MAX = 1, 90


class Duration(models.TextChoices):
    ONCE = "once", "The first invoice"
    FOREVER = "forever", "Every invoice"
    REPEATING = "repeating", "A number of months"


class Offer(models.Model):
    """A limited-time offer. Its discount and duration are the Stripe coupon's, which
    Stripe never changes: a change before the first redemption makes a new coupon, a
    change after it is refused (offers.services.offer_update)."""

    code = models.CharField(
        max_length=40,
        validators=[RegexValidator(CODE_PATTERN, "3 to 40 letters and digits.")],
        help_text="What readers type; case-insensitive. The Stripe promotion code's code.",
    )
    headline = models.CharField(max_length=200, help_text="For readers: 'Half price for 3 months'.")
    terms = models.TextField(blank=True, help_text="For readers: the small print.")
    percent_off = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0.01), MaxValueValidator(100)],
    )
    amount_off = models.PositiveIntegerField(
        null=True, blank=True, help_text="In `currency`'s minor unit (500 = 5.00)."
    )
    currency = models.CharField(
        max_length=3, blank=True, help_text="With amount_off: ISO 4217, lower case."
    )
    currency_options = models.JSONField(
        default=dict,
        blank=True,
        help_text='With amount_off: the amount in other currencies, {"usd": 550}.',
    )
    duration = models.CharField(max_length=16, choices=Duration.choices, default=Duration.ONCE)
    duration_in_months = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(36)]
    )
    trial_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(TRIAL_DAYS_MIN), MaxValueValidator(TRIAL_DAYS_MAX)],
        help_text="A campaign trial length replacing TRIAL_DAYS for this offer.",
    )
    plans = models.ManyToManyField(
        "billing.Plan", blank=True, related_name="offers", help_text="None: every plan."
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    max_redemptions = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)]
    )
    times_redeemed = models.PositiveIntegerField(
        default=0, editable=False, help_text="Redemptions taken (and held while in progress)."
    )
    first_time_only = models.BooleanField(
        default=False, help_text="Only for readers who have never subscribed."
    )
    active = models.BooleanField(default=True)
    lapsed_within_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="Win-back: only for readers whose last subscription ended in the last N "
        "days (and who have none live now). Empty: for every reader.",
    )
    stripe_coupon_id = models.CharField(max_length=255, blank=True, editable=False)
    stripe_promotion_code_id = models.CharField(max_length=255, blank=True, editable=False)
    stripe_key_base = models.UUIDField(
        default=uuid.uuid4, editable=False, help_text="Prefix of its Stripe idempotency keys."
    )
    stripe_version = models.PositiveIntegerField(
        default=0, editable=False, help_text="Counts the Stripe objects made (their keys)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            models.UniqueConstraint(Lower("code"), name="offers_offer_code_ci_unique"),
            models.CheckConstraint(
                condition=(
                    Q(percent_off__isnull=False, amount_off__isnull=True, currency="")
                    | Q(percent_off__isnull=True, amount_off__isnull=False) & ~Q(currency="")
                ),
                name="offers_offer_percent_or_amount",
            ),
            models.CheckConstraint(
                condition=Q(percent_off__isnull=True) | Q(percent_off__gt=0, percent_off__lte=100),
                name="offers_offer_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(amount_off__isnull=True) | Q(amount_off__gt=0),
                name="offers_offer_amount_positive",
            ),
            models.CheckConstraint(
                condition=(
                    Q(duration="repeating", duration_in_months__gte=1)
                    | ~Q(duration="repeating") & Q(duration_in_months__isnull=True)
                ),
                name="offers_offer_months_iff_repeating",
            ),
            models.CheckConstraint(
                condition=Q(trial_days__isnull=True)
                | Q(trial_days__gte=TRIAL_DAYS_MIN, trial_days__lte=TRIAL_DAYS_MAX),
                name="offers_offer_trial_days_range",
            ),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True)
                | Q(ends_at__isnull=True)
                | Q(ends_at__gt=F("starts_at")),
                name="offers_offer_window_ordered",
            ),
            models.CheckConstraint(
                condition=Q(max_redemptions__isnull=True)
                | Q(max_redemptions__gte=1, times_redeemed__lte=F("max_redemptions")),
                name="offers_offer_within_cap",
            ),
        ]
        permissions = [("deactivate_offer", "Can deactivate an offer")]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if (self.percent_off is None) == (self.amount_off is None):
            errors["percent_off"] = "Give a percentage or an amount off, not both."
        if self.amount_off is not None and not self.currency:
            errors["currency"] = "An amount off needs its currency."
        if self.percent_off is not None and (self.currency or self.currency_options):
            errors["currency"] = "A percentage needs no currency."
        if self.currency and self.currency != self.currency.lower():
            errors["currency"] = "Lower case, as Stripe writes it (eur)."
        for cur, amount in (self.currency_options or {}).items():
            if not (isinstance(cur, str) and len(cur) == 3 and cur == cur.lower()):
                errors["currency_options"] = f"{cur!r} is not a currency."
            elif not isinstance(amount, int) or amount <= 0:
                errors["currency_options"] = f"{cur}: a positive whole number of minor units."
        if self.amount_off is not None and "currency" not in errors and self._amounts_changed():
            missing = [c for c in settings.CURRENCIES if self.amount_off_in(c) is None]
            if missing:
                errors["currency_options"] = (
                    "An amount off needs an amount in every currency we sell in (CURRENCIES): "
                    f"missing {', '.join(c.upper() for c in missing)}."
                )
        if self.duration == Duration.REPEATING and not self.duration_in_months:
            errors["duration_in_months"] = "A repeating discount needs its number of months."
        if self.duration != Duration.REPEATING and self.duration_in_months:
            errors["duration_in_months"] = "Only a repeating discount has months."
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = "The offer must end after it starts."
        if self.code:
            taken = Offer.objects.filter(code__iexact=self.code).exclude(pk=self.pk)
            if taken.exists():
                errors["code"] = "An offer with this code exists (codes ignore case)."
        if errors:
            raise ValidationError(errors)

    def _amounts_changed(self) -> bool:
        """New, or its amounts differ from the stored ones: an offer made before every
        currency was needed can still be deactivated or renamed (a reader paying in a
        currency it lacks is refused it: offers.services.offer_check_for_reader)."""
        stored = Offer.objects.filter(pk=self.pk).values_list(
            "amount_off", "currency", "currency_options"
        )
        before = stored.first() if self.pk else None
        return before != (self.amount_off, self.currency, self.currency_options)

    def amount_off_in(self, currency: str) -> int | None:
        if self.amount_off is None:
            return None
        if currency == self.currency:
            return self.amount_off
        value = (self.currency_options or {}).get(currency)
        return int(value) if value is not None else None


class Redemption(models.Model):
    """One reader's use of one offer. Held (RESERVED) while the subscription is being
    made, REDEEMED once Stripe made it; a failure deletes it and gives its place back."""

    class Status(models.TextChoices):
        RESERVED = "reserved", "Reserved"
        REDEEMED = "redeemed", "Redeemed"

    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="redemptions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="offer_redemptions",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RESERVED)
    plan_code = models.CharField(max_length=64)
    with_trial = models.BooleanField(help_text="A trial (with_trial) or a paid subscription.")
    subscription = models.ForeignKey(
        "billing.Subscription",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="offer_redemptions",
        help_text="What it made: read for the conversion per offer.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    redeemed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["offer", "user"], name="offers_one_per_reader"),
        ]
        indexes = [models.Index(fields=["offer", "status"], name="offers_redemption_status")]

    def __str__(self) -> str:
        return f"{self.offer} by {self.user_id}"


# Retention: the reasons a reader gives for leaving, the save offer staff match to each,
# and every answer's outcome (offers/services/retention.py).
SAVE_PAUSE_MONTHS_MIN, SAVE_PAUSE_MONTHS_MAX = 1, 3
COMMENT_MAX_LENGTH = 500


class CancelReason(models.TextChoices):
    """The fixed list a reader picks from; `other` takes free text (the comment)."""

    TOO_EXPENSIVE = "too_expensive", _("It is too expensive")
    NOT_READING_ENOUGH = "not_reading_enough", _("I do not read enough")
    FOUND_ALTERNATIVE = "found_alternative", _("I found another source")
    TECHNICAL_PROBLEMS = "technical_problems", _("Technical problems")
    TEMPORARY_BREAK = "temporary_break", _("I need a break")
    OTHER = "other", _("Other")


class SaveOfferKind(models.TextChoices):
    DISCOUNT = "discount", "A discount for some months (an offer)"
    PAUSE = "pause", "A pause of 1 to 3 months"
    NONE = "none", "Nothing: let the reader go"


class SaveOffer(models.Model):
    """What a reader who gives this reason is offered instead of cancelling."""

    reason = models.CharField(max_length=32, choices=CancelReason.choices, unique=True)
    kind = models.CharField(max_length=16, choices=SaveOfferKind.choices)
    offer = models.ForeignKey(
        Offer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="save_offers",
        help_text="For a discount: a repeating offer, not for first-time readers only.",
    )
    months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[
            MinValueValidator(SAVE_PAUSE_MONTHS_MIN),
            MaxValueValidator(SAVE_PAUSE_MONTHS_MAX),
        ],
        help_text="For a pause: 1 to 3 months.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("reason",)
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="discount", offer__isnull=False, months__isnull=True)
                    | Q(
                        kind="pause",
                        offer__isnull=True,
                        months__gte=SAVE_PAUSE_MONTHS_MIN,
                        months__lte=SAVE_PAUSE_MONTHS_MAX,
                    )
                    | Q(kind="none", offer__isnull=True, months__isnull=True)
                ),
                name="offers_saveoffer_kind_fields",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reason}: {self.kind}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.kind == SaveOfferKind.DISCOUNT:
            offer = self.offer if self.offer_id else None
            if offer is None:
                errors["offer"] = "A discount needs its offer."
            elif offer.duration != Duration.REPEATING:
                errors["offer"] = "A save offer's discount lasts some months: a repeating offer."
            elif offer.first_time_only:
                errors["offer"] = "A save offer is for subscribers: not first-time readers only."
            if self.months is not None:
                errors["months"] = "Only a pause has months (the offer has its own)."
        elif self.kind == SaveOfferKind.PAUSE:
            if self.months is None or not (
                SAVE_PAUSE_MONTHS_MIN <= self.months <= SAVE_PAUSE_MONTHS_MAX
            ):
                errors["months"] = "A pause lasts 1 to 3 months."
            if self.offer_id:
                errors["offer"] = "A pause has no offer."
        else:
            if self.offer_id:
                errors["offer"] = "Nothing offered: no offer."
            if self.months is not None:
                errors["months"] = "Nothing offered: no months."
        if errors:
            raise ValidationError(errors)


class CancellationFeedback(models.Model):
    """One reader's answer: the reason, what was offered, and whether it kept them."""

    class Outcome(models.TextChoices):
        SAVED = "saved", "Saved (took the save offer)"
        CANCELLED = "cancelled", "Cancelled anyway"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="cancellation_feedback",
    )
    subscription = models.ForeignKey(
        "billing.Subscription",
        null=True,
        on_delete=models.SET_NULL,
        related_name="cancellation_feedback",
    )
    reason = models.CharField(max_length=32, choices=CancelReason.choices)
    comment = models.TextField(blank=True, max_length=COMMENT_MAX_LENGTH)
    offered_kind = models.CharField(max_length=16, choices=SaveOfferKind.choices)
    offer = models.ForeignKey(
        Offer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pause_months = models.PositiveSmallIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ("-created_at",)
        verbose_name_plural = "cancellation feedback"
        constraints = [
            # One save per subscription: a double POST, or a second reason, applies once.
            models.UniqueConstraint(
                fields=["subscription"],
                condition=Q(outcome="saved"),
                name="offers_one_save_per_subscription",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reason} → {self.outcome}"
