"""Creating a subscription in Stripe exactly once per reader, whatever the retries.

One creation attempt (its idempotency key) per set of parameters; concurrent
requests share it; an attempt that may have reached Stripe is settled by
asking Stripe before another is made (subscription_creation_begin).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit.services import Actor
from billing import gateway
from billing.models import Customer, Plan, StripeAttempt, Subscription
from billing.selectors import plan_amount_in, subscription_get_live
from billing.services.apply import (
    Audit,
    subscription_apply_stripe,
    subscription_sync_from_stripe,
)
from billing.services.attempts import (
    ATTEMPT_REUSE_WINDOW,
    attempt_abandon,
    attempt_begin,
    attempt_hold,
    attempt_is_held,
    attempt_release,
    attempt_run,
    lock_reader,
)
from billing.services.duplicates import subscription_duplicates_resolve
from config.errors import ApplicationError, Conflict


def subscription_refuse_if_live(*, user: User) -> None:
    if subscription_get_live(user=user) is not None:
        raise Conflict("You already have a subscription.", code="subscription_exists")


def subscription_creation_begin(*, user: User, params: dict[str, Any]) -> StripeAttempt:
    """Take up the subscription creation attempt, settling any earlier one first.

    Decided under the reader's row lock, so concurrent requests see each
    other; the attempt comes back held by this request (attempt_hold), which
    releases it when it stops before sending it, or once Stripe's answer is
    known (subscription_creation_send); the lease covers the rest.

    The same parameters again (a double click, a retry after a 503 or a
    timeout) share the pending attempt and so its idempotency key: Stripe
    replays, one subscription. A creation that succeeded but is not stored yet
    is fetched and applied: 409 subscription_exists. Other parameters while
    the pending attempt is held (some request may still be sending it to
    Stripe): 409 operation_in_progress. Other parameters once nobody holds it:
    it may still have reached Stripe without our hearing back, so Stripe is
    asked what exists for this customer and that is applied first; only then,
    and only if nobody took it up meanwhile, is it abandoned for a new
    attempt with a new key. So a new key never makes a second subscription.
    """
    checked: dict[Any, Any] = {}  # attempt id -> its lease when Stripe was asked
    for _ in range(4):
        with transaction.atomic():
            lock_reader(user)
            subscription_refuse_if_live(user=user)
            # One read of the latest attempt: requests outside the lock only ever
            # move an attempt from pending to finished, never create one.
            latest = (
                StripeAttempt.objects.filter(operation="subscription.create", user=user)
                .exclude(status=StripeAttempt.Status.FAILED)
                .order_by("-created_at")
                .first()
            )
            if latest is None or (
                latest.status == StripeAttempt.Status.SUCCEEDED
                and (
                    not latest.stripe_object_id
                    or Subscription.objects.filter(
                        stripe_subscription_id=latest.stripe_object_id
                    ).exists()
                )
            ):
                # Read again: a creation may have committed since the first check.
                subscription_refuse_if_live(user=user)
                return _hold(_new_creation(user=user, params=params))
            if latest.status == StripeAttempt.Status.PENDING:
                fresh = latest.created_at >= timezone.now() - ATTEMPT_REUSE_WINDOW
                if latest.params == params and fresh:
                    return _hold(latest)  # the same request again: its key makes Stripe replay
                if attempt_is_held(latest):
                    raise Conflict(
                        "A subscription is already being started; try again in a moment.",
                        code="operation_in_progress",
                    )
                if latest.pk in checked and checked[latest.pk] == latest.held_until:
                    # Stripe was asked since anyone last took it up: nothing can
                    # come of its key any more.
                    attempt_abandon(attempt=latest, reason="superseded by a new attempt")
                    subscription_refuse_if_live(user=user)
                    return _hold(_new_creation(user=user, params=params))
        # Outside the lock, committed whatever follows: store what Stripe has.
        if latest.status == StripeAttempt.Status.SUCCEEDED:
            subscription_sync_from_stripe(
                stripe_subscription_id=latest.stripe_object_id,
                audit=Audit(Actor.SYSTEM, reason="stored a creation that another request made"),
            )
            continue
        customer = Customer.objects.filter(user=user).first()
        if customer is not None:
            listed = gateway.subscription_list_for_customer(customer_id=customer.stripe_customer_id)
            if subscription_duplicates_resolve(
                customer=customer, origin="a subscription start", listed=listed
            ):
                listed = gateway.subscription_list_for_customer(
                    customer_id=customer.stripe_customer_id
                )
            for stripe_sub in listed:
                subscription_apply_stripe(
                    stripe_subscription=stripe_sub,
                    audit=Audit(
                        Actor.SYSTEM, reason="recovered an unfinished subscription creation"
                    ),
                )
        checked[latest.pk] = latest.held_until
    raise Conflict(
        "A subscription is already being started; try again in a moment.",
        code="operation_in_progress",
    )


def _new_creation(*, user: User, params: dict[str, Any]) -> StripeAttempt:
    return attempt_begin(operation="subscription.create", user=user, params=params)


def _hold(attempt: StripeAttempt) -> StripeAttempt:
    attempt_hold(attempt=attempt)
    return attempt


def subscription_creation_release(*, attempt: StripeAttempt) -> None:
    """This request is done with the creation attempt; it stays as it is.

    Never abandoned here: another request may hold it still, and a refused or
    failed request may have sent it to Stripe before. A retry with the same
    parameters reuses its key; other parameters make subscription_creation_begin ask
    Stripe first.
    """
    attempt_release(attempt=attempt)


def subscription_creation_send(*, attempt: StripeAttempt, call: Callable[[str], Any]) -> Any:
    """Send the held creation attempt to Stripe; release it once the outcome is known.

    Stripe unreachable (a timeout, a dropped connection, a 5xx) leaves the
    outcome unknown: what was sent may still be executing at Stripe, so the
    hold is kept until its lease runs out, as for a request that died. Stripe
    busy (a 429 lock timeout, a 409 for the key another request is still
    sending) says this request ran nothing: released, and the attempt stays
    pending for a retry with its key.
    """
    try:
        result = attempt_run(attempt=attempt, call=call)
    except gateway.GatewayError as exc:
        if not exc.outcome_unknown:
            subscription_creation_release(attempt=attempt)  # Stripe answered: this sent nothing
        raise
    subscription_creation_release(attempt=attempt)
    return result


# Stripe's refusal of a subscription in another currency than the customer's live ones:
# "... does not match the customer currency (eur)." or "... with currency eur."
_CUSTOMER_CURRENCY = re.compile(r"customer currency \(([a-z]{3})\)|with currency ([a-z]{3})")


def subscription_currency_check(*, plan: Plan, currency: str) -> str:
    """The currency to subscribe in (DEFAULT_CURRENCY when none is asked), refused when
    the plan's Stripe price has no amount in it."""
    currency = (currency or str(settings.DEFAULT_CURRENCY)).lower()
    if plan_amount_in(plan=plan, currency=currency) is None:
        raise ApplicationError(
            f"{plan.name} is not sold in {currency.upper()}.",
            code="currency_unavailable",
            fields={"country": [f"{plan.name} is not sold in {currency.upper()}."]},
        )
    return currency


def subscription_creation_send_in_currency(
    *, attempt: StripeAttempt, currency: str, call: Callable[[str], Any]
) -> Any:
    """subscription_creation_send, with Stripe's refusal of a second currency for one
    customer as our 409 `currency_locked` naming the customer's (now mirrored)."""
    try:
        return subscription_creation_send(attempt=attempt, call=call)
    except gateway.StripeInvalidRequest as exc:
        found = _CUSTOMER_CURRENCY.search(exc.detail.lower())
        if found is None:
            raise
        locked = found.group(1) or found.group(2)
        if attempt.user is not None:
            Customer.objects.filter(user=attempt.user).update(currency=locked)
        raise Conflict(
            f"Your account pays in {locked.upper()}: Stripe keeps one currency per customer "
            f"while a subscription is live, so {currency.upper()} cannot be used.",
            code="currency_locked",
        ) from exc
