"""The reader's one free trial: one per mailbox (and, by setting, per card)."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from accounts.models import User
from audit.services import Actor, audit_record
from billing import gateway
from billing.models import TrialClaim
from billing.selectors import plan_get_for_sale
from billing.services.apply import subscription_apply_stripe, subscription_snapshot
from billing.services.creation import (
    subscription_creation_begin,
    subscription_creation_release,
    subscription_creation_send,
    subscription_refuse_if_live,
)
from billing.services.customers import customer_ensure
from billing.services.payment_methods import (
    payment_method_attach,
    payment_method_check_id,
    payment_method_fingerprint,
)
from billing.services.subscriptions import SubscriptionResult
from billing.services.tax import TaxLocation, customer_set_tax_location, tax_automatic
from config.errors import Conflict


def trial_email_normalize(email: str) -> str:
    """One trial per mailbox: case, +tags, and Gmail's dots do not make a new reader."""
    local, _, domain = email.strip().lower().partition("@")
    local = local.split("+", 1)[0]
    if domain in {"gmail.com", "googlemail.com"}:
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def trial_email_digest(email: str) -> str:
    return hashlib.sha256(trial_email_normalize(email).encode()).hexdigest()


def subscription_start_trial(
    *,
    user: User,
    plan_code: str,
    payment_method_id: str = "",
    promotion_code_id: str = "",
    trial_days: int | None = None,
    location: TaxLocation | None = None,
) -> SubscriptionResult:
    """Start the reader's one free trial of a plan (TRIAL_DAYS days, card optional).

    `promotion_code_id` (a Stripe promotion code) is redeemed on the subscription
    and `trial_days` replaces the plan's trial length: what a campaign asks for
    (offers/ composes them; billing knows nothing of offers). `location` (the reader's
    country, postal code, VAT number: billing.services.tax) goes on the Stripe customer,
    and with a location Stripe Tax computes the tax (automatic_tax).
    """
    plan = plan_get_for_sale(code=plan_code)
    if payment_method_id:
        payment_method_check_id(payment_method_id=payment_method_id)
    params: dict[str, Any] = {
        "plan": plan.code,
        "payment_method": payment_method_id,
        "trial": True,
    }
    if promotion_code_id or trial_days:
        params |= {"promotion_code": promotion_code_id, "trial_days": trial_days}
    if location is not None:
        params["tax_location"] = location.as_params()
    email_key = trial_email_digest(user.email)
    if TrialClaim.objects.filter(Q(email_digest=email_key) | Q(user=user)).exists():
        subscription_refuse_if_live(user=user)  # a double click after success is told what it is
        raise Conflict("You have already had your free trial.", code="trial_already_used")
    attempt = subscription_creation_begin(user=user, params=params)
    try:
        customer = customer_ensure(user=user)
        customer = customer_set_tax_location(
            customer=customer, location=location, key_base=attempt.idempotency_key
        )
        fingerprint = ""
        if payment_method_id:
            payment_method = payment_method_attach(
                customer_id=customer.stripe_customer_id,
                payment_method_id=payment_method_id,
                key_base=attempt.idempotency_key,
                check=lambda card: _refuse_card_with_a_trial(card, user=user),
            )
            fingerprint = payment_method_fingerprint(payment_method)
    except Exception:
        subscription_creation_release(attempt=attempt)  # this request did not send it; others may
        raise

    trial_days = trial_days or plan.trial_days or settings.TRIAL_DAYS
    stripe_subscription = subscription_creation_send(
        attempt=attempt,
        call=lambda key: gateway.subscription_create(
            customer_id=customer.stripe_customer_id,
            price_id=plan.stripe_price_id,
            trial_days=trial_days,
            payment_method_id=payment_method_id,
            metadata={"user_id": str(user.pk), "plan_code": plan.code},
            idempotency_key=key,
            trial_end_without_card=settings.TRIAL_END_WITHOUT_CARD,
            discounts=[{"promotion_code": promotion_code_id}] if promotion_code_id else None,
            automatic_tax=tax_automatic(customer=customer),
        ),
    )
    with transaction.atomic():
        subscription = subscription_apply_stripe(
            stripe_subscription=stripe_subscription, audit=None, action="trial.claimed"
        )
        # Requests sharing the creation attempt all get here; the one that
        # records the claim writes the action's entry.
        _, claimed = TrialClaim.objects.get_or_create(
            email_digest=email_key,
            defaults={"user": user, "card_fingerprint": fingerprint, "subscription": subscription},
        )
        if claimed:
            audit_record(
                action="trial.claimed",
                actor_type=Actor.READER,
                actor_user=user,
                reader=user,
                after={
                    **subscription_snapshot(subscription),
                    "trial_days": trial_days,
                    "with_card": bool(fingerprint),
                },
                stripe_object_id=subscription.stripe_subscription_id,
                idempotency_key=attempt.idempotency_key,
            )
    return SubscriptionResult(subscription)


def _refuse_card_with_a_trial(payment_method: Any, *, user: User) -> None:
    """One trial per card. The reader's own claim is no reason: it was recorded by a
    request sharing this one's attempt (twenty concurrent starts), not by an old trial."""
    fingerprint = payment_method_fingerprint(payment_method)
    if (
        settings.TRIAL_ONE_PER_CARD
        and fingerprint
        and TrialClaim.objects.filter(card_fingerprint=fingerprint).exclude(user=user).exists()
    ):
        raise Conflict(
            "This card has already been used for a free trial.", code="trial_already_used"
        )
