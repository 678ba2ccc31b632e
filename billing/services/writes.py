"""One Stripe write on a subscription, its answer applied and the action audited once.

The public write helper of the subscription services (and of support's
actions): every write names who acts and why in one Audit value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction

from accounts.models import User
from audit.services import audit_record
from billing import gateway
from billing.models import StripeAttempt, Subscription
from billing.services.apply import Audit, subscription_apply_stripe, subscription_snapshot
from billing.services.attempts import attempt_begin, attempt_run


def subscription_write(
    *,
    user: User | None,
    subscription: Subscription,
    operation: str,
    params: dict[str, Any],
    call: Callable[[str], Any],
    action: str,
    audit: Audit,
) -> Subscription:
    """One Stripe write on a subscription (as an attempt), then its answer applied and
    the action audited once (see subscription_apply_action)."""
    before = subscription_snapshot(subscription)
    stripe_subscription, attempt = subscription_stripe_write(
        user=user, subscription=subscription, operation=operation, params=params, call=call
    )
    return subscription_apply_action(
        stripe_subscription=stripe_subscription,
        before=before,
        action=action,
        audit=audit,
        idempotency_key=attempt.idempotency_key,
    )


def subscription_update(
    *,
    user: User,
    subscription: Subscription,
    operation: str,
    params: dict[str, Any],
    action: str,
    audit: Audit,
) -> Subscription:
    """subscription_write of Stripe's subscription update with these parameters."""
    return subscription_write(
        user=user,
        subscription=subscription,
        operation=operation,
        params=params,
        call=lambda key: gateway.subscription_update(
            subscription_id=subscription.stripe_subscription_id,
            params=params,
            idempotency_key=key,
        ),
        action=action,
        audit=audit,
    )


def subscription_stripe_write(
    *,
    user: User | None,
    subscription: Subscription,
    operation: str,
    params: dict[str, Any],
    call: Callable[[str], Any],
) -> tuple[Any, StripeAttempt]:
    """One Stripe write on a subscription as a recorded attempt: (Stripe's answer, attempt)."""
    attempt = attempt_begin(
        operation=operation,
        user=user,
        params={"subscription": subscription.stripe_subscription_id, **params},
    )
    return attempt_run(attempt=attempt, call=call), attempt


def subscription_apply_action(
    *,
    stripe_subscription: Any,
    before: dict[str, Any] | None,
    action: str,
    audit: Audit,
    idempotency_key: str,
    before_extra: dict[str, Any] | None = None,
    after_extra: dict[str, Any] | None = None,
    stripe_object_id: str = "",
) -> Subscription:
    """Apply Stripe's answer to an action and write the action's one audit entry.

    The entry is written whether or not applying changed anything: Stripe's
    webhook for the change may have been applied first (in Stripe's name), and
    the entry must still say who acted, why, and what changed: `before` is our
    row before the Stripe call (None when there was none), the after is the
    row with Stripe's answer applied. Requests that shared the attempt (its
    idempotency key) share the entry.
    """
    with transaction.atomic():
        subscription = subscription_apply_stripe(
            stripe_subscription=stripe_subscription, audit=None, action=action
        )
        audit_record(
            action=action,
            actor_type=audit.actor_type,
            actor_user=audit.user,
            reader=subscription.user,
            reason=audit.reason,
            before=None if before is None else {**before, **(before_extra or {})},
            after={**subscription_snapshot(subscription), **(after_extra or {})},
            stripe_object_id=stripe_object_id or subscription.stripe_subscription_id,
            idempotency_key=idempotency_key,
        )
    return subscription
