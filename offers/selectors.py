"""Reads of offers: find one by its code, whether it can be taken now, its prices."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from billing.models import Plan
from billing.money import money_display
from billing.selectors import plan_priced
from config.errors import ApplicationError
from offers.models import CODE_PATTERN, Offer


def offer_find(*, code: str) -> Offer | None:
    """The offer with this code, whatever its case; None if there is none (or the code
    could not be one: never sent to the database, which refuses some characters)."""
    code = code.strip()
    if not re.fullmatch(CODE_PATTERN, code):
        return None
    return Offer.objects.filter(code__iexact=code).first()


def offer_is_available(*, offer: Offer) -> bool:
    """Active, inside its window by our clock (timezone.now()), and below its cap."""
    now = timezone.now()
    return (
        offer.active
        and (offer.starts_at is None or offer.starts_at <= now)
        and (offer.ends_at is None or now < offer.ends_at)
        and (offer.max_redemptions is None or offer.times_redeemed < offer.max_redemptions)
    )


def offers_available_now() -> QuerySet[Offer]:
    """offer_is_available's rule as a query (and synced to Stripe): active, inside its
    window by our clock, below its cap."""
    now = timezone.now()
    return (
        Offer.objects.filter(active=True)
        .exclude(stripe_promotion_code_id="")
        .filter(Q(starts_at__isnull=True) | Q(starts_at__lte=now))
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .exclude(max_redemptions__isnull=False, times_redeemed__gte=F("max_redemptions"))
    )


def offer_expired_error() -> ApplicationError:
    return ApplicationError(
        "This offer is no longer available.", code="offer_expired", status_code=410
    )


def offer_get_public(*, code: str) -> Offer:
    """The offer a reader asks about: 404 offer_not_found, 410 offer_expired."""
    offer = offer_find(code=code)
    if offer is None:
        raise ApplicationError("There is no such offer.", code="offer_not_found", status_code=404)
    if not offer_is_available(offer=offer):
        raise offer_expired_error()
    return offer


def offer_plans(*, offer: Offer) -> list[Plan]:
    """The plans on sale this offer applies to (all of them when it names none)."""
    named = list(offer.plans.filter(active=True))
    if named or offer.plans.exists():
        return named
    return list(Plan.objects.filter(active=True).order_by("amount"))


def offer_applies_to(*, offer: Offer, plan: Plan) -> bool:
    return not offer.plans.exists() or offer.plans.filter(pk=plan.pk).exists()


def offer_discounted_amount(*, offer: Offer, amount: int, currency: str) -> int | None:
    """What one invoice of `amount` costs with the offer; None when it has no amount in
    `currency`. Percentages round half up to the minor unit, as Stripe does per line."""
    if offer.percent_off is not None:
        off = (Decimal(amount) * offer.percent_off / 100).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
        return max(0, amount - int(off))
    amount_off = offer.amount_off_in(currency)
    if amount_off is None:
        return None
    return max(0, amount - amount_off)


def offer_public_terms(*, offer: Offer, currency: str | None = None) -> dict[str, Any]:
    """What a reader sees of an offer (never its Stripe ids or counters); an amount off
    in the reader's `currency` when the offer has one in it."""
    amount_off, amount_currency = offer.amount_off, offer.currency or None
    if currency and offer.amount_off_in(currency) is not None:
        amount_off, amount_currency = offer.amount_off_in(currency), currency
    return {
        "code": offer.code,
        "headline": offer.headline,
        "terms": offer.terms,
        "percent_off": offer.percent_off,
        "amount_off": amount_off,
        "currency": amount_currency,
        "duration": offer.duration,
        "duration_in_months": offer.duration_in_months,
        "trial_days": offer.trial_days,
        "starts_at": offer.starts_at,
        "ends_at": offer.ends_at,
        "first_time_only": offer.first_time_only,
    }


def offer_plan_price(
    *, offer: Offer, plan: Plan, currency: str | None = None, country: str | None = None
) -> dict[str, Any]:
    """A plan's price with and without the offer, in the reader's currency (the default
    if none is given): "9,99 € then 4,99 € for 3 months" is display,
    discounted_display, duration and duration_in_months."""
    priced = plan_priced(
        plan=plan, currency=currency or str(settings.DEFAULT_CURRENCY), country=country
    )
    discounted = offer_discounted_amount(
        offer=offer, amount=priced.amount, currency=priced.currency
    )
    return {
        "plan": priced.code,
        "amount": priced.amount,
        "currency": priced.currency,
        "display": priced.display,
        "interval": priced.interval,
        "discounted_amount": discounted,
        "discounted_display": None
        if discounted is None
        else money_display(discounted, priced.currency, country=country),
        "duration": offer.duration,
        "duration_in_months": offer.duration_in_months,
        "trial_days": offer.trial_days or priced.trial_days,
    }
