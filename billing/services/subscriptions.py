"""Trials and subscriptions: start, subscribe, cancel, resume, change plan, card."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from audit.services import Actor, audit_record
from billing import gateway
from billing.models import (
    LIVE_STATUSES,
    Customer,
    Plan,
    StripeAttempt,
    Subscription,
    SubscriptionStatus,
    TrialClaim,
)
from billing.selectors import invoice_payment_intent
from billing.services.apply import (
    subscription_apply_stripe,
    subscription_snapshot,
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
    stripe_write,
)
from billing.services.customers import customer_ensure
from billing.services.duplicates import subscription_duplicates_resolve
from config.errors import ApplicationError, Conflict

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SubscriptionResult:
    subscription: Subscription
    client_secret: str = ""


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


def _plan(code: str) -> Plan:
    plan = Plan.objects.filter(code=code, active=True).exclude(stripe_price_id="").first()
    if plan is None:
        raise ApplicationError(
            f"There is no plan called {code!r}.",
            code="unknown_plan",
            fields={"plan": [f"There is no plan called {code!r}."]},
        )
    return plan


def _live(user: User) -> Subscription | None:
    return (
        Subscription.objects.select_related("plan")
        .filter(user=user, status__in=LIVE_STATUSES)
        .first()
    )


def _refuse_if_live(user: User) -> None:
    if _live(user) is not None:
        raise Conflict("You already have a subscription.", code="subscription_exists")


def _begin_creation(*, user: User, params: dict[str, Any]) -> StripeAttempt:
    """Take up the subscription creation attempt, settling any earlier one first.

    Decided under the reader's row lock, so concurrent requests see each
    other; the attempt comes back held by this request (attempt_hold), which
    releases it when it stops before sending it, or once Stripe's answer is
    known (_create_held); the lease covers the rest.

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
            _refuse_if_live(user)
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
                _refuse_if_live(user)
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
                    _refuse_if_live(user)
                    return _hold(_new_creation(user=user, params=params))
        # Outside the lock, committed whatever follows: store what Stripe has.
        if latest.status == StripeAttempt.Status.SUCCEEDED:
            subscription_sync_from_stripe(
                stripe_subscription_id=latest.stripe_object_id,
                actor_type=Actor.SYSTEM,
                reason="stored a creation that another request made",
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
                    actor_type=Actor.SYSTEM,
                    reason="recovered an unfinished subscription creation",
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


def _release_creation(attempt: StripeAttempt) -> None:
    """This request is done with the creation attempt; it stays as it is.

    Never abandoned here: another request may hold it still, and a refused or
    failed request may have sent it to Stripe before. A retry with the same
    parameters reuses its key; other parameters make _begin_creation ask
    Stripe first.
    """
    attempt_release(attempt=attempt)


def _create_held(*, attempt: StripeAttempt, call: Callable[[str], Any]) -> Any:
    """Send the held creation attempt to Stripe; release it once the outcome is known.

    Stripe unreachable (a timeout, a dropped connection, a 5xx) leaves the
    outcome unknown: what was sent may still be executing at Stripe, so the
    hold is kept until its lease runs out, as for a request that died.
    """
    try:
        result = attempt_run(attempt=attempt, call=call)
    except gateway.GatewayError as exc:
        if not exc.retryable:
            _release_creation(attempt)  # Stripe answered: nothing was created
        raise
    _release_creation(attempt)
    return result


def _attach_card(
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


def _fingerprint(payment_method: Any) -> str:
    card = payment_method.get("card") if hasattr(payment_method, "get") else None
    return str((card or {}).get("fingerprint") or "")


PAYMENT_METHOD_ID = re.compile(r"^pm_[A-Za-z0-9_]{1,200}$")


def _check_payment_method_id(payment_method_id: str) -> None:
    if not PAYMENT_METHOD_ID.match(payment_method_id):
        message = "Send a Stripe payment method id (pm_...), never card details."
        raise ApplicationError(
            message, code="invalid_payment_method", fields={"payment_method": [message]}
        )


def subscription_start_trial(
    *, user: User, plan_code: str, payment_method_id: str = ""
) -> SubscriptionResult:
    """Start the reader's one free trial of a plan (TRIAL_DAYS days, card optional)."""
    plan = _plan(plan_code)
    if payment_method_id:
        _check_payment_method_id(payment_method_id)
    params = {"plan": plan.code, "payment_method": payment_method_id, "trial": True}
    email_key = trial_email_digest(user.email)
    if TrialClaim.objects.filter(Q(email_digest=email_key) | Q(user=user)).exists():
        _refuse_if_live(user)  # a double click after success is told what it is
        raise Conflict("You have already had your free trial.", code="trial_already_used")
    attempt = _begin_creation(user=user, params=params)
    try:
        customer = customer_ensure(user=user)
        fingerprint = ""
        if payment_method_id:
            payment_method = _attach_card(
                customer_id=customer.stripe_customer_id,
                payment_method_id=payment_method_id,
                key_base=attempt.idempotency_key,
                check=lambda card: _refuse_card_with_a_trial(card, user=user),
            )
            fingerprint = _fingerprint(payment_method)
    except Exception:
        _release_creation(attempt)  # this request did not send it; others may
        raise

    trial_days = plan.trial_days or settings.TRIAL_DAYS
    stripe_subscription = _create_held(
        attempt=attempt,
        call=lambda key: gateway.subscription_create(
            customer_id=customer.stripe_customer_id,
            price_id=plan.stripe_price_id,
            trial_days=trial_days,
            payment_method_id=payment_method_id,
            metadata={"user_id": str(user.pk), "plan_code": plan.code},
            idempotency_key=key,
            trial_end_without_card=settings.TRIAL_END_WITHOUT_CARD,
        ),
    )
    with transaction.atomic():
        subscription = subscription_apply_stripe(
            stripe_subscription=stripe_subscription,
            actor_type=Actor.READER,
            actor_user=user,
            action="trial.claimed",
            audit=False,
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
    fingerprint = _fingerprint(payment_method)
    if (
        settings.TRIAL_ONE_PER_CARD
        and fingerprint
        and TrialClaim.objects.filter(card_fingerprint=fingerprint).exclude(user=user).exists()
    ):
        raise Conflict(
            "This card has already been used for a free trial.", code="trial_already_used"
        )


def subscription_subscribe(
    *, user: User, plan_code: str, payment_method_id: str
) -> SubscriptionResult:
    """Subscribe and pay at once, no trial (for readers whose trial is behind them)."""
    plan = _plan(plan_code)
    _check_payment_method_id(payment_method_id)
    params = {"plan": plan.code, "payment_method": payment_method_id, "trial": False}
    attempt = _begin_creation(user=user, params=params)
    try:
        customer = customer_ensure(user=user)
        _attach_card(
            customer_id=customer.stripe_customer_id,
            payment_method_id=payment_method_id,
            key_base=attempt.idempotency_key,
        )
    except Exception:
        _release_creation(attempt)  # this request did not send it; others may
        raise
    stripe_subscription = _create_held(
        attempt=attempt,
        call=lambda key: gateway.subscription_create(
            customer_id=customer.stripe_customer_id,
            price_id=plan.stripe_price_id,
            trial_days=None,
            payment_method_id=payment_method_id,
            metadata={"user_id": str(user.pk), "plan_code": plan.code},
            idempotency_key=key,
        ),
    )
    subscription = _apply_as_action(
        stripe_subscription=stripe_subscription,
        before=None,
        actor_type=Actor.READER,
        actor_user=user,
        action="subscription.subscribed",
        reason="",
        idempotency_key=attempt.idempotency_key,
    )
    if subscription.status != SubscriptionStatus.INCOMPLETE:
        return SubscriptionResult(subscription)

    intent = invoice_payment_intent(invoice_id=subscription.latest_invoice_id)
    if intent is not None and intent.get("status") == "requires_action":
        return SubscriptionResult(subscription, client_secret=str(intent.get("client_secret")))
    # The first charge was declined: end the incomplete subscription so that the
    # reader can try another card, and say why.
    error = (intent or {}).get("last_payment_error") or {}
    message = str(error.get("message") or "Your card was declined.")
    subscription_cancel_now(
        user=user,
        subscription=subscription,
        actor_type=Actor.SYSTEM,
        reason="first payment declined",
    )
    raise gateway.CardDeclined(message, decline_code=str(error.get("decline_code") or ""))


def _require_live(user: User) -> Subscription:
    subscription = _live(user)
    if subscription is None:
        raise Conflict("You have no current subscription.", code="no_subscription")
    return subscription


def subscription_cancel(
    *,
    user: User,
    at_period_end: bool = True,
    actor_type: str = Actor.READER,
    actor_user: User | None = None,
    reason: str = "",
) -> Subscription:
    """Cancel anytime. At period end (the default) access lasts to the end of what was given."""
    subscription = _require_live(user)
    if not at_period_end:
        return subscription_cancel_now(
            user=user,
            subscription=subscription,
            actor_type=actor_type,
            actor_user=actor_user,
            reason=reason,
        )
    if subscription.cancel_at_period_end:
        return subscription  # already cancelling: nothing to do, nothing to write
    if subscription.status in (SubscriptionStatus.INCOMPLETE, SubscriptionStatus.PAUSED):
        return subscription_cancel_now(
            user=user,
            subscription=subscription,
            actor_type=actor_type,
            actor_user=actor_user,
            reason=reason or "nothing paid to keep: ended now",
        )
    return _update(
        user=user,
        subscription=subscription,
        operation="subscription.cancel_at_period_end",
        params={"cancel_at_period_end": True},
        actor_type=actor_type,
        actor_user=actor_user or user,
        action="subscription.cancel_requested",
        reason=reason,
    )


def subscription_cancel_now(
    *,
    user: User | None,
    subscription: Subscription,
    actor_type: str,
    actor_user: User | None = None,
    reason: str = "",
) -> Subscription:
    return _write_and_apply(
        user=user,
        subscription=subscription,
        operation="subscription.cancel",
        params={},
        call=lambda key: gateway.subscription_cancel(
            subscription_id=subscription.stripe_subscription_id, idempotency_key=key
        ),
        actor_type=actor_type,
        actor_user=actor_user,
        action="subscription.canceled",
        reason=reason,
    )


def _write_and_apply(
    *,
    user: User | None,
    subscription: Subscription,
    operation: str,
    params: dict[str, Any],
    call: Callable[[str], Any],
    actor_type: str,
    actor_user: User | None,
    action: str,
    reason: str,
) -> Subscription:
    """One Stripe write on a subscription (as an attempt), then its answer applied and
    the action audited once (see _apply_as_action)."""
    before = subscription_snapshot(subscription)
    stripe_subscription, attempt = _write(
        user=user, subscription=subscription, operation=operation, params=params, call=call
    )
    return _apply_as_action(
        stripe_subscription=stripe_subscription,
        before=before,
        actor_type=actor_type,
        actor_user=actor_user,
        action=action,
        reason=reason,
        idempotency_key=attempt.idempotency_key,
    )


def _write(
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


def _apply_as_action(
    *,
    stripe_subscription: Any,
    before: dict[str, Any] | None,
    actor_type: str,
    actor_user: User | None,
    action: str,
    reason: str,
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
            stripe_subscription=stripe_subscription,
            actor_type=actor_type,
            actor_user=actor_user,
            action=action,
            reason=reason,
            audit=False,
        )
        audit_record(
            action=action,
            actor_type=actor_type,
            actor_user=actor_user,
            reader=subscription.user,
            reason=reason,
            before=None if before is None else {**before, **(before_extra or {})},
            after={**subscription_snapshot(subscription), **(after_extra or {})},
            stripe_object_id=stripe_object_id or subscription.stripe_subscription_id,
            idempotency_key=idempotency_key,
        )
    return subscription


def _update(
    *,
    user: User,
    subscription: Subscription,
    operation: str,
    params: dict[str, Any],
    actor_type: str,
    actor_user: User | None,
    action: str,
    reason: str = "",
) -> Subscription:
    return _write_and_apply(
        user=user,
        subscription=subscription,
        operation=operation,
        params=params,
        call=lambda key: gateway.subscription_update(
            subscription_id=subscription.stripe_subscription_id,
            params=params,
            idempotency_key=key,
        ),
        actor_type=actor_type,
        actor_user=actor_user,
        action=action,
        reason=reason,
    )


def subscription_resume(
    *, user: User, actor_type: str = Actor.READER, actor_user: User | None = None, reason: str = ""
) -> Subscription:
    """Undo a pending cancellation before the end, or resume a paused subscription."""
    subscription = _require_live(user)
    if subscription.status == SubscriptionStatus.PAUSED:
        customer = subscription.customer
        if not (subscription.default_payment_method_id or customer.default_payment_method_id):
            raise Conflict(
                "Add a card to resume your subscription.", code="payment_method_required"
            )
        return _write_and_apply(
            user=user,
            subscription=subscription,
            operation="subscription.resume",
            params={},
            call=lambda key: gateway.subscription_resume(
                subscription_id=subscription.stripe_subscription_id, idempotency_key=key
            ),
            actor_type=actor_type,
            actor_user=actor_user or user,
            action="subscription.resumed",
            reason=reason,
        )
    if not subscription.cancel_at_period_end:
        raise Conflict("There is no pending cancellation to undo.", code="not_cancelling")
    return _update(
        user=user,
        subscription=subscription,
        operation="subscription.cancel_at_period_end",
        params={"cancel_at_period_end": False},
        actor_type=actor_type,
        actor_user=actor_user or user,
        action="subscription.cancel_undone",
        reason=reason,
    )


def subscription_change_plan(*, user: User, plan_code: str, reason: str = "") -> Subscription:
    """Move to another plan; Stripe prorates (during a trial nothing is charged)."""
    plan = _plan(plan_code)
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
    current = gateway.subscription_retrieve(subscription_id=subscription.stripe_subscription_id)
    item_id = current["items"]["data"][0]["id"]
    return _update(
        user=user,
        subscription=subscription,
        operation="subscription.change_plan",
        params={
            "items": [{"id": item_id, "price": plan.stripe_price_id}],
            "proration_behavior": "create_prorations",
        },
        actor_type=Actor.READER,
        actor_user=user,
        action="subscription.plan_changed",
        reason=reason,
    )


def payment_method_update(
    *, user: User, payment_method_id: str, reason: str = ""
) -> Subscription | None:
    """Make a card the reader's default; a subscription paused for want of one resumes.

    One action, one audit entry (`payment_method.updated`): the card before and
    after, and the live subscription's row before and after, resumed or not.
    """
    _check_payment_method_id(payment_method_id)
    customer = customer_ensure(user=user)
    subscription = _live(user)
    card_before = {"default_payment_method": customer.default_payment_method_id}
    card_after = {"default_payment_method": payment_method_id}
    attempt = attempt_begin(
        operation="payment_method.update",
        user=user,
        params={"payment_method": payment_method_id, "customer": customer.stripe_customer_id},
    )
    attempt_run(
        attempt=attempt,
        call=lambda key: _attach_card(
            customer_id=customer.stripe_customer_id,
            payment_method_id=payment_method_id,
            key_base=key,
        ),
    )
    if subscription is None:
        audit_record(
            action="payment_method.updated",
            actor_type=Actor.READER,
            actor_user=user,
            reader=user,
            reason=reason,
            before=card_before,
            after=card_after,
            stripe_object_id=payment_method_id,
            idempotency_key=attempt.idempotency_key,
        )
        return None
    live = subscription
    before = subscription_snapshot(live)
    params = {"default_payment_method": payment_method_id}
    stripe_subscription, _ = _write(
        user=user,
        subscription=live,
        operation="subscription.default_payment_method",
        params=params,
        call=lambda key: gateway.subscription_update(
            subscription_id=live.stripe_subscription_id, params=params, idempotency_key=key
        ),
    )
    if stripe_subscription["status"] == SubscriptionStatus.PAUSED:
        stripe_subscription, _ = _write(
            user=user,
            subscription=live,
            operation="subscription.resume",
            params={},
            call=lambda key: gateway.subscription_resume(
                subscription_id=live.stripe_subscription_id, idempotency_key=key
            ),
        )
    return _apply_as_action(
        stripe_subscription=stripe_subscription,
        before=before,
        actor_type=Actor.READER,
        actor_user=user,
        action="payment_method.updated",
        reason=reason,
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
    import uuid

    return uuid.uuid4().hex
