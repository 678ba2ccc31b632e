"""Staff make and change offers; each is synced to Stripe as one coupon and one
promotion code, never edited by hand in Stripe (docs/operations.md).

Stripe keeps a coupon's amount, currency and duration for ever, and a promotion
code's cap, expiry and restrictions too: a change of the discount (or of the plans
it applies to) makes a new coupon and code, refused once the offer was redeemed
(`offer_redeemed`: make a new offer); a change of the window, cap or first-time rule
makes a new promotion code on the same coupon, the old one deactivated first (a
code is unique among active codes), its cap what is left; `active` and the headline
are updated in place. Stripe is written before our row, with keys made from the
offer's key base and version, so a failed save retried sends the same keys.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction

from accounts.models import User
from audit.services import Actor, audit_record
from billing import gateway
from billing.models import Plan
from config.errors import ApplicationError
from offers.models import Duration, Offer

COUPON_FIELDS = (
    "percent_off",
    "amount_off",
    "currency",
    "currency_options",
    "duration",
    "duration_in_months",
)
PROMOTION_CODE_FIELDS = ("code", "ends_at", "max_redemptions", "first_time_only")
SNAPSHOT_FIELDS = (
    "code",
    "headline",
    "terms",
    *COUPON_FIELDS,
    "trial_days",
    "starts_at",
    "ends_at",
    "max_redemptions",
    "first_time_only",
    "lapsed_within_days",
    "active",
    "stripe_coupon_id",
    "stripe_promotion_code_id",
)


def offer_snapshot(offer: Offer, plans: list[Plan] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in SNAPSHOT_FIELDS:
        value = getattr(offer, name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = format(value.normalize(), "f")
        out[name] = value
    if plans is None:
        plans = list(offer.plans.all()) if offer.pk else []
    out["plans"] = sorted(plan.code for plan in plans)
    return out


def offer_save(*, offer: Offer, plans: list[Plan], actor: User | None, reason: str = "") -> Offer:
    """Create or change an offer (its unsaved values, `plans` the ones it applies to;
    none: every plan), synced to Stripe, audited in the name of `actor` (staff, or
    None for a command run by an operator)."""
    offer.full_clean()
    stored = Offer.objects.filter(pk=offer.pk).first() if offer.pk else None
    before = offer_snapshot(stored) if stored is not None else None
    after_plans = sorted(plan.code for plan in plans)
    coupon_changed = (
        before is None
        or not offer.stripe_coupon_id
        or any(before[f] != offer_snapshot(offer, plans)[f] for f in COUPON_FIELDS)
        or before["plans"] != after_plans
    )
    if stored is not None and coupon_changed and offer.redemptions.exists():
        raise ApplicationError(
            "This offer has been redeemed: its discount and plans can no longer change "
            "(Stripe keeps a coupon as it was made). Make a new offer.",
            code="offer_redeemed",
            status_code=409,
        )
    promotion_changed = coupon_changed or (
        before is not None
        and any(before[f] != offer_snapshot(offer, plans)[f] for f in PROMOTION_CODE_FIELDS)
    )
    if promotion_changed:
        if offer.stripe_promotion_code_id:
            _promotion_code_set_active(offer, active=False, version=offer.stripe_version)
        offer.stripe_version += 1
        if coupon_changed:
            offer.stripe_coupon_id = str(_coupon_create(offer, plans)["id"])
        offer.stripe_promotion_code_id = str(_promotion_code_create(offer)["id"])
    elif before is not None and before["active"] != offer.active:
        _promotion_code_set_active(offer, active=offer.active, version=offer.stripe_version)
    if before is not None and before["headline"] != offer.headline and not coupon_changed:
        gateway.coupon_update(
            coupon_id=offer.stripe_coupon_id,
            name=_coupon_name(offer),
            idempotency_key=_key(offer, f"name-{uuid.uuid4().hex}"),
        )
    with transaction.atomic():
        offer.save()
        offer.plans.set(plans)
        after = offer_snapshot(offer, plans)
        if before != after:
            audit_record(
                action="offer.created" if before is None else "offer.changed",
                actor_type=Actor.STAFF if actor is not None else Actor.SYSTEM,
                actor_user=actor,
                reason=reason,
                before=before,
                after=after,
                stripe_object_id=offer.stripe_promotion_code_id,
            )
    return offer


def offer_deactivate(*, offer: Offer, actor: User | None, reason: str = "") -> Offer:
    """Stop new redemptions (its promotion code inactive in Stripe); discounts already
    given run their course."""
    if not offer.active:
        return offer
    offer.active = False
    return offer_save(offer=offer, plans=list(offer.plans.all()), actor=actor, reason=reason)


def _key(offer: Offer, what: str) -> str:
    return f"offer-{offer.stripe_key_base}-{what}"


def _coupon_name(offer: Offer) -> str:
    return offer.headline[:40]  # Stripe shows it on invoices; at most 40 characters


def _coupon_create(offer: Offer, plans: list[Plan]) -> Any:
    params: dict[str, Any] = {
        "name": _coupon_name(offer),
        "duration": offer.duration,
        "metadata": {"offer_code": offer.code},
    }
    if offer.percent_off is not None:
        params["percent_off"] = float(offer.percent_off)
    else:
        params["amount_off"] = offer.amount_off
        params["currency"] = offer.currency
        if offer.currency_options:
            params["currency_options"] = {
                cur: {"amount_off": amount} for cur, amount in offer.currency_options.items()
            }
    if offer.duration == Duration.REPEATING:
        params["duration_in_months"] = offer.duration_in_months
    products = sorted({plan.stripe_product_id for plan in plans if plan.stripe_product_id})
    if products:
        params["applies_to"] = {"products": products}
    return gateway.coupon_create(
        params=params, idempotency_key=_key(offer, f"{offer.stripe_version}-coupon")
    )


def _promotion_code_create(offer: Offer) -> Any:
    params: dict[str, Any] = {
        "code": offer.code,
        "promotion": {"type": "coupon", "coupon": offer.stripe_coupon_id},
        "active": offer.active,
        "metadata": {"offer_code": offer.code},
    }
    if offer.max_redemptions is not None:
        # A new code counts from zero: it may take what the offer has left.
        params["max_redemptions"] = max(1, offer.max_redemptions - offer.times_redeemed)
    if offer.ends_at is not None:
        params["expires_at"] = int(offer.ends_at.timestamp())
    if offer.first_time_only:
        params["restrictions"] = {"first_time_transaction": True}
    return gateway.promotion_code_create(
        params=params, idempotency_key=_key(offer, f"{offer.stripe_version}-promotion-code")
    )


def _promotion_code_set_active(offer: Offer, *, active: bool, version: int) -> None:
    gateway.promotion_code_update(
        promotion_code_id=offer.stripe_promotion_code_id,
        params={"active": active},
        idempotency_key=_key(offer, f"{version}-promotion-code-active-{uuid.uuid4().hex}"),
    )
