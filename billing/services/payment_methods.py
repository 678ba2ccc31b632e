"""Cards: attached once per attempt, checked, made the default; a paused subscription
resumes once it has one; the SetupIntent for Stripe.js to collect one."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from accounts.models import User
from audit.services import Actor, audit_record
from billing import gateway
from billing.models import Customer, Subscription, SubscriptionStatus
from billing.selectors import subscription_get_live
from billing.services.apply import Audit, subscription_snapshot
from billing.services.attempts import attempt_begin, attempt_run, stripe_write
from billing.services.customers import customer_ensure
from billing.services.writes import subscription_apply_action, subscription_stripe_write
from config.errors import ApplicationError

logger = logging.getLogger(__name__)


def payment_method_attach(
    *,
    customer_id: str,
    payment_method_id: str,
    key_base: str,
    check: Callable[[Any], None] | None = None,
) -> Any:
    """Attach a card (Stripe holds it; we only see its id), check it, make it the default.

    The writes' idempotency keys derive from the attempt of the action they are
    part of (`key_base`): requests sharing that attempt (a double click, twenty
    concurrent trial starts) share these writes too, and Stripe replays them
    instead of attaching the card again. A card refused by `check` is detached
    and never becomes the customer's default.
    """
    payment_method = gateway.payment_method_attach(
        payment_method_id=payment_method_id,
        customer_id=customer_id,
        idempotency_key=f"{key_base}:payment_method.attach",
    )
    if check is not None:
        try:
            check(payment_method)
        except ApplicationError:
            _detach_card(payment_method=payment_method, key_base=key_base)
            raise
    gateway.customer_set_default_payment_method(
        customer_id=customer_id,
        payment_method_id=payment_method_id,
        idempotency_key=f"{key_base}:customer.default_payment_method",
    )
    Customer.objects.filter(stripe_customer_id=customer_id).update(
        default_payment_method_id=payment_method_id
    )
    return payment_method


def _detach_card(*, payment_method: Any, key_base: str) -> None:
    """Take a refused card off the customer again; the refusal stands if Stripe fails."""
    try:
        gateway.payment_method_detach(
            payment_method_id=str(payment_method["id"]),
            idempotency_key=f"{key_base}:payment_method.detach",
        )
    except gateway.GatewayError:
        logger.warning("could not detach refused card %s", payment_method.get("id"), exc_info=True)


def payment_method_fingerprint(payment_method: Any) -> str:
    card = payment_method.get("card") if hasattr(payment_method, "get") else None
    return str((card or {}).get("fingerprint") or "")


PAYMENT_METHOD_ID = re.compile(r"^pm_[A-Za-z0-9_]{1,200}$")


def payment_method_check_id(*, payment_method_id: str) -> None:
    if not PAYMENT_METHOD_ID.match(payment_method_id):
        message = "Send a Stripe payment method id (pm_...), never card details."
        raise ApplicationError(
            message, code="invalid_payment_method", fields={"payment_method": [message]}
        )


def payment_method_update(
    *, user: User, payment_method_id: str, audit: Audit | None = None
) -> Subscription | None:
    """Make a card the reader's default; a subscription paused for want of one resumes.

    One action, one audit entry (`payment_method.updated`): the card before and
    after, and the live subscription's row before and after, resumed or not.
    """
    payment_method_check_id(payment_method_id=payment_method_id)
    audit = audit or Audit(Actor.READER, user=user)
    customer = customer_ensure(user=user)
    subscription = subscription_get_live(user=user)
    card_before = {"default_payment_method": customer.default_payment_method_id}
    card_after = {"default_payment_method": payment_method_id}
    attempt = attempt_begin(
        operation="payment_method.update",
        user=user,
        params={"payment_method": payment_method_id, "customer": customer.stripe_customer_id},
    )
    attempt_run(
        attempt=attempt,
        call=lambda key: payment_method_attach(
            customer_id=customer.stripe_customer_id,
            payment_method_id=payment_method_id,
            key_base=key,
        ),
    )
    if subscription is None:
        audit_record(
            action="payment_method.updated",
            actor_type=audit.actor_type,
            actor_user=audit.user,
            reader=user,
            reason=audit.reason,
            before=card_before,
            after=card_after,
            stripe_object_id=payment_method_id,
            idempotency_key=attempt.idempotency_key,
        )
        return None
    live = subscription
    before = subscription_snapshot(live)
    params = {"default_payment_method": payment_method_id}
    stripe_subscription, _ = subscription_stripe_write(
        user=user,
        subscription=live,
        operation="subscription.default_payment_method",
        params=params,
        call=lambda key: gateway.subscription_update(
            subscription_id=live.stripe_subscription_id, params=params, idempotency_key=key
        ),
    )
    if stripe_subscription["status"] == SubscriptionStatus.PAUSED:
        stripe_subscription, _ = subscription_stripe_write(
            user=user,
            subscription=live,
            operation="subscription.resume",
            params={},
            call=lambda key: gateway.subscription_resume(
                subscription_id=live.stripe_subscription_id, idempotency_key=key
            ),
        )
    return subscription_apply_action(
        stripe_subscription=stripe_subscription,
        before=before,
        action="payment_method.updated",
        audit=audit,
        idempotency_key=attempt.idempotency_key,
        before_extra=card_before,
        after_extra=card_after,
        stripe_object_id=payment_method_id,
    )


def setup_intent_create(*, user: User) -> str:
    """A SetupIntent for Stripe.js to collect a card; returns its client secret."""
    customer = customer_ensure(user=user)
    intent = stripe_write(
        operation="setup_intent.create",
        user=user,
        params={"customer": customer.stripe_customer_id, "nonce": _nonce()},
        call=lambda key: gateway.setup_intent_create(
            customer_id=customer.stripe_customer_id, idempotency_key=key
        ),
    )
    return str(intent["client_secret"])


def _nonce() -> str:
    return uuid.uuid4().hex
