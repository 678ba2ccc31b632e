"""Subscriptions: subscribe (paid at once), cancel, resume, change plan.

The trial is in trials.py, cards in payment_methods.py, the creation attempt in
creation.py, and the write helper every action goes through in writes.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import User
from audit.services import Actor
from billing import gateway
from billing.models import Subscription, SubscriptionStatus
from billing.selectors import (
    invoice_payment_intent,
    pause_is_running,
    payment_intent_client_secret,
    plan_get_for_sale,
    subscription_get_live,
)
from billing.services.apply import Audit
from billing.services.creation import (
    subscription_creation_begin,
    subscription_creation_release,
    subscription_creation_send,
)
from billing.services.customers import customer_ensure
from billing.services.pause import subscription_pause_end
from billing.services.payment_methods import payment_method_attach, payment_method_check_id
from billing.services.tax import TaxLocation, customer_set_tax_location, tax_automatic
from billing.services.writes import (
    subscription_apply_action,
    subscription_update,
    subscription_write,
)
from config.errors import Conflict


@dataclass(frozen=True)
class SubscriptionResult:
    subscription: Subscription
    client_secret: str = ""


def subscription_subscribe(
    *,
    user: User,
    plan_code: str,
    payment_method_id: str,
    promotion_code_id: str = "",
    location: TaxLocation | None = None,
) -> SubscriptionResult:
    """Subscribe and pay at once, no trial (for readers whose trial is behind them).

    `promotion_code_id` (a Stripe promotion code) is redeemed on the subscription.
    `location` goes on the Stripe customer and makes Stripe Tax compute the tax
    (billing.services.tax), as for a trial.
    """
    plan = plan_get_for_sale(code=plan_code)
    payment_method_check_id(payment_method_id=payment_method_id)
    params: dict[str, object] = {
        "plan": plan.code,
        "payment_method": payment_method_id,
        "trial": False,
    }
    if promotion_code_id:
        params["promotion_code"] = promotion_code_id
    if location is not None:
        params["tax_location"] = location.as_params()
    attempt = subscription_creation_begin(user=user, params=params)
    try:
        customer = customer_ensure(user=user)
        customer = customer_set_tax_location(
            customer=customer, location=location, key_base=attempt.idempotency_key
        )
        payment_method_attach(
            customer_id=customer.stripe_customer_id,
            payment_method_id=payment_method_id,
            key_base=attempt.idempotency_key,
        )
    except Exception:
        subscription_creation_release(attempt=attempt)  # this request did not send it; others may
        raise
    stripe_subscription = subscription_creation_send(
        attempt=attempt,
        call=lambda key: gateway.subscription_create(
            customer_id=customer.stripe_customer_id,
            price_id=plan.stripe_price_id,
            trial_days=None,
            payment_method_id=payment_method_id,
            metadata={"user_id": str(user.pk), "plan_code": plan.code},
            idempotency_key=key,
            discounts=[{"promotion_code": promotion_code_id}] if promotion_code_id else None,
            automatic_tax=tax_automatic(customer=customer),
        ),
    )
    subscription = subscription_apply_action(
        stripe_subscription=stripe_subscription,
        before=None,
        action="subscription.subscribed",
        audit=Audit(Actor.READER, user=user),
        idempotency_key=attempt.idempotency_key,
    )
    if subscription.status != SubscriptionStatus.INCOMPLETE:
        return SubscriptionResult(subscription)

    intent = invoice_payment_intent(invoice_id=subscription.latest_invoice_id)
    client_secret = payment_intent_client_secret(intent=intent)
    if client_secret is not None:
        return SubscriptionResult(subscription, client_secret=client_secret)
    # The first charge was declined: end the incomplete subscription so that the
    # reader can try another card, and say why.
    error = (intent or {}).get("last_payment_error") or {}
    message = str(error.get("message") or "Your card was declined.")
    subscription_cancel_now(
        user=user,
        subscription=subscription,
        audit=Audit(Actor.SYSTEM, reason="first payment declined"),
    )
    raise gateway.CardDeclined(message, decline_code=str(error.get("decline_code") or ""))


def _reader_default(audit: Audit | None, *, user: User) -> Audit:
    """The reader acts unless `audit` says otherwise."""
    return audit or Audit(Actor.READER, user=user)


def _require_live(user: User) -> Subscription:
    subscription = subscription_get_live(user=user)
    if subscription is None:
        raise Conflict("You have no current subscription.", code="no_subscription")
    return subscription


def subscription_cancel(
    *,
    user: User,
    at_period_end: bool = True,
    audit: Audit | None = None,
    cancellation_details: dict[str, str] | None = None,
) -> Subscription:
    """Cancel anytime. At period end (the default) access lasts to the end of what was given.

    `audit` names who cancels and why: the reader by default. `cancellation_details`
    ({feedback, comment}, Stripe's names) goes to Stripe with the cancellation.
    """
    audit = _reader_default(audit, user=user)
    subscription = _require_live(user)
    if not at_period_end:
        return subscription_cancel_now(
            user=user,
            subscription=subscription,
            audit=audit,
            cancellation_details=cancellation_details,
        )
    if subscription.cancel_at_period_end:
        return subscription  # already cancelling: nothing to do, nothing to write
    if subscription.status in (SubscriptionStatus.INCOMPLETE, SubscriptionStatus.PAUSED):
        return subscription_cancel_now(
            user=user,
            subscription=subscription,
            audit=Audit(
                audit.actor_type,
                user=audit.user,
                reason=audit.reason or "nothing paid to keep: ended now",
            ),
            cancellation_details=cancellation_details,
        )
    params: dict[str, object] = {"cancel_at_period_end": True}
    if cancellation_details:
        params["cancellation_details"] = cancellation_details
    return subscription_update(
        user=user,
        subscription=subscription,
        operation="subscription.cancel_at_period_end",
        params=params,
        action="subscription.cancel_requested",
        audit=audit,
    )


def subscription_cancel_now(
    *,
    user: User | None,
    subscription: Subscription,
    audit: Audit,
    cancellation_details: dict[str, str] | None = None,
) -> Subscription:
    """End the subscription now (Stripe's cancel): access ends with it."""
    return subscription_write(
        user=user,
        subscription=subscription,
        operation="subscription.cancel",
        params={"cancellation_details": cancellation_details} if cancellation_details else {},
        call=lambda key: gateway.subscription_cancel(
            subscription_id=subscription.stripe_subscription_id,
            idempotency_key=key,
            cancellation_details=cancellation_details,
        ),
        action="subscription.canceled",
        audit=audit,
    )


def subscription_discount_apply(
    *, user: User, promotion_code_id: str, audit: Audit | None = None
) -> Subscription:
    """Put a promotion code's discount on the reader's current subscription (replacing
    any other): Stripe applies it from the next invoice; our row mirrors it (`discount`)."""
    subscription = _require_live(user)
    return subscription_update(
        user=user,
        subscription=subscription,
        operation="subscription.discount",
        params={"discounts": [{"promotion_code": promotion_code_id}]},
        action="subscription.discount_applied",
        audit=_reader_default(audit, user=user),
    )


def subscription_resume(*, user: User, audit: Audit | None = None) -> Subscription:
    """Undo a pending cancellation before the end, resume a paused subscription, or end
    the reader's pause of collection early (pause.py).

    `audit` names who resumes and why: the reader by default.
    """
    audit = _reader_default(audit, user=user)
    subscription = _require_live(user)
    if subscription.status == SubscriptionStatus.PAUSED:
        customer = subscription.customer
        if not (subscription.default_payment_method_id or customer.default_payment_method_id):
            raise Conflict(
                "Add a card to resume your subscription.", code="payment_method_required"
            )
        return subscription_write(
            user=user,
            subscription=subscription,
            operation="subscription.resume",
            params={},
            call=lambda key: gateway.subscription_resume(
                subscription_id=subscription.stripe_subscription_id, idempotency_key=key
            ),
            action="subscription.resumed",
            audit=audit,
        )
    if subscription.is_collection_paused:
        return subscription_pause_end(user=user, audit=audit)
    if not subscription.cancel_at_period_end:
        raise Conflict("There is no pending cancellation to undo.", code="not_cancelling")
    return subscription_update(
        user=user,
        subscription=subscription,
        operation="subscription.cancel_at_period_end",
        params={"cancel_at_period_end": False},
        action="subscription.cancel_undone",
        audit=audit,
    )


def subscription_change_plan(
    *, user: User, plan_code: str, audit: Audit | None = None
) -> Subscription:
    """Move to another plan; Stripe prorates (during a trial nothing is charged)."""
    plan = plan_get_for_sale(code=plan_code)
    subscription = _require_live(user)
    if subscription.plan_id == plan.pk:
        raise Conflict(f"You are already on {plan.name}.", code="same_plan")
    if subscription.status not in (
        SubscriptionStatus.TRIALING,
        SubscriptionStatus.ACTIVE,
    ):
        raise Conflict(
            "The plan can be changed only on a trialing or active subscription.",
            code="subscription_not_changeable",
        )
    if pause_is_running(subscription):
        # A proration during a pause would land on a renewal invoice Stripe voids.
        raise Conflict(
            "Resume your subscription before changing its plan.",
            code="subscription_not_changeable",
        )
    current = gateway.subscription_retrieve(subscription_id=subscription.stripe_subscription_id)
    item_id = current["items"]["data"][0]["id"]
    return subscription_update(
        user=user,
        subscription=subscription,
        operation="subscription.change_plan",
        params={
            "items": [{"id": item_id, "price": plan.stripe_price_id}],
            "proration_behavior": "create_prorations",
        },
        action="subscription.plan_changed",
        audit=audit or Audit(Actor.READER, user=user),
    )
