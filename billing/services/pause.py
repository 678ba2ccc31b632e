"""A reader's pause instead of a cancellation: Stripe's pause_collection for 1 to 3 months.

While collection is paused the subscription stays `active` in Stripe and its renewals
still make invoices, which Stripe voids (behavior `void`: nothing is owed for the
paused months, no invoice to chase or forgive later). `resumes_at` is now plus N
calendar months: Stripe clears pause_collection by itself then, reported as
customer.subscription.updated, and the next renewal is charged as usual. Our row
mirrors the pause (pause_behavior, pause_resumes_at) from Stripe's answers and from
webhooks only (apply.py); entitlements meter the reader while it lasts.

The length is an argument so that any caller (the reader's API, a save offer, support)
pauses through subscription_pause. Only an `active` subscription without a pending
cancellation pauses: a trial owes nothing yet (and a pause over its end would void
its first invoice), `past_due` invoices would still be retried by Stripe, and a
cancelling subscription ends anyway.
"""

from __future__ import annotations

import calendar
import logging
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from audit.services import Actor
from billing import gateway
from billing.models import StripeEvent, Subscription, SubscriptionStatus
from billing.selectors import pause_is_running, subscription_get_live, subscription_price
from billing.services.apply import Audit, subscription_snapshot
from billing.services.attempts import (
    attempt_begin,
    attempt_refuse_if_done_meanwhile,
    attempt_run,
)
from billing.services.notifications import format_amount, notification_send_once
from billing.services.writes import subscription_apply_action
from config.errors import ApplicationError, Conflict

logger = logging.getLogger(__name__)

# What Stripe does with the invoices of renewals during a pause: void them.
PAUSE_BEHAVIOR = "void"
PAUSE_MONTHS_MIN = 1
PAUSE_MONTHS_MAX = 3
# The reminder mail goes this long before a pause ends.
PAUSE_REMINDER_BEFORE = timedelta(days=3)


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time N calendar months later, clamped to the month's last day
    (31 January + 1 month is 28 or 29 February)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def pause_resumes_at(*, started: datetime, months: int) -> datetime:
    """When a pause started at `started` ends: N calendar months on, to the second
    (Stripe's timestamps are whole seconds)."""
    return add_months(started.replace(microsecond=0), months)


def pause_months_check(months: int) -> int:
    if (
        isinstance(months, bool)
        or not isinstance(months, int)
        or not (PAUSE_MONTHS_MIN <= months <= PAUSE_MONTHS_MAX)
    ):
        raise ApplicationError(
            f"A pause lasts {PAUSE_MONTHS_MIN} to {PAUSE_MONTHS_MAX} months.",
            code="invalid_pause_length",
            fields={"months": [f"Pick {PAUSE_MONTHS_MIN} to {PAUSE_MONTHS_MAX} months."]},
        )
    return months


def _require_live(user: User) -> Subscription:
    subscription = subscription_get_live(user=user)
    if subscription is None:
        raise Conflict("You have no current subscription.", code="no_subscription")
    return subscription


def subscription_pause(*, user: User, months: int, audit: Audit | None = None) -> Subscription:
    """Pause the reader's collection for `months` calendar months (1 to 3), in Stripe then here.

    A double click shares one attempt (same subscription and length while the first is
    pending): one idempotency key, one `resumes_at` (counted from the attempt's
    creation), one Stripe write, one audit entry, one mail.
    """
    months = pause_months_check(months)
    audit = audit or Audit(Actor.READER, user=user)
    subscription = _require_live(user)
    if pause_is_running(subscription):
        raise Conflict(
            f"Your subscription is already paused until {subscription.pause_resumes_at:%Y-%m-%d}.",
            code="already_paused",
        )
    if subscription.status != SubscriptionStatus.ACTIVE or subscription.cancel_at_period_end:
        raise Conflict(
            "Only an active subscription that is not being cancelled can be paused.",
            code="subscription_not_pausable",
        )
    before = subscription_snapshot(subscription)
    attempt = attempt_begin(
        operation="subscription.pause",
        user=user,
        params={"subscription": subscription.stripe_subscription_id, "months": months},
    )
    # A double click's other request may have paused it since this row was synced.
    attempt_refuse_if_done_meanwhile(attempt=attempt, since=subscription.synced_at)
    resumes_at = pause_resumes_at(started=attempt.created_at, months=months)
    params: dict[str, Any] = {
        "pause_collection": {
            "behavior": PAUSE_BEHAVIOR,
            "resumes_at": int(resumes_at.timestamp()),
        }
    }
    stripe_subscription = attempt_run(
        attempt=attempt,
        call=lambda key: gateway.subscription_update(
            subscription_id=subscription.stripe_subscription_id,
            params=params,
            idempotency_key=key,
        ),
    )
    paused = subscription_apply_action(
        stripe_subscription=stripe_subscription,
        before=before,
        action="subscription.paused",
        audit=Audit(
            audit.actor_type,
            user=audit.user,
            reason=audit.reason or f"paused for {months} month{'s' if months > 1 else ''}",
        ),
        idempotency_key=attempt.idempotency_key,
    )
    try:
        pause_notify_started(subscription=paused)
    except Exception:  # the pause is made; the webhook's processing sends the mail again
        logger.exception("pause-started mail for %s failed", paused.stripe_subscription_id)
    return paused


def subscription_pause_end(*, user: User, audit: Audit | None = None) -> Subscription:
    """End the reader's pause now (pause_collection cleared in Stripe): access returns at
    once and the next renewal is charged. 409 `not_paused` when there is none."""
    audit = audit or Audit(Actor.READER, user=user)
    subscription = _require_live(user)
    if not subscription.is_collection_paused:
        raise Conflict("Your subscription is not paused.", code="not_paused")
    before = subscription_snapshot(subscription)
    params: dict[str, Any] = {"pause_collection": ""}
    attempt = attempt_begin(
        operation="subscription.pause_end",
        user=user,
        params={
            "subscription": subscription.stripe_subscription_id,
            "resumes_at": str(subscription.pause_resumes_at),
        },
    )
    stripe_subscription = attempt_run(
        attempt=attempt,
        call=lambda key: gateway.subscription_update(
            subscription_id=subscription.stripe_subscription_id,
            params=params,
            idempotency_key=key,
        ),
    )
    return subscription_apply_action(
        stripe_subscription=stripe_subscription,
        before=before,
        action="subscription.pause_ended",
        audit=Audit(audit.actor_type, user=audit.user, reason=audit.reason or "resumed early"),
        idempotency_key=attempt.idempotency_key,
    )


def pause_notify_started(
    *, subscription: Subscription, stripe_event: StripeEvent | None = None
) -> bool:
    """The "pause started" mail, once per pause (the subscription and its resume day)."""
    if not pause_is_running(subscription) or subscription.pause_resumes_at is None:
        return False
    resumes_at = subscription.pause_resumes_at
    return notification_send_once(
        kind="pause_started",
        key=f"{subscription.stripe_subscription_id}:{resumes_at:%Y%m%d}",
        user=subscription.user,
        stripe_event=stripe_event,
        context={"resumes_at": resumes_at, "plan_name": subscription.plan.name},
    )


def pause_reminders_send(*, now: datetime | None = None) -> int:
    """The "pause ends soon" mail to each reader whose pause ends within
    PAUSE_REMINDER_BEFORE, once per pause (the periodic job); returns how many went now."""
    now = now or timezone.now()
    due = (
        Subscription.objects.select_related("plan", "user", "customer")
        .filter(
            ~Q(pause_behavior=""),
            status=SubscriptionStatus.ACTIVE,
            pause_resumes_at__gt=now,
            pause_resumes_at__lte=now + PAUSE_REMINDER_BEFORE,
        )
        .order_by("pause_resumes_at", "pk")
    )
    sent = 0
    for subscription in due:
        plan = subscription.plan
        amount, currency = subscription_price(subscription=subscription) or (
            plan.amount,
            plan.currency,
        )
        resumes_at = subscription.pause_resumes_at
        assert resumes_at is not None  # noqa: S101 - the filter above
        sent += notification_send_once(
            kind="pause_ending",
            key=f"{subscription.stripe_subscription_id}:{resumes_at:%Y%m%d}",
            user=subscription.user,
            context={
                "resumes_at": resumes_at,
                "plan_name": plan.name,
                "amount": format_amount(amount, currency, country=subscription.customer.country),
                "currency": currency,
                "interval": plan.interval,
            },
        )
    return sent
