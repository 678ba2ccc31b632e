"""The reader's subscription: the live one, the current one, and the access it gives."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import User
from billing.models import LIVE_STATUSES, Subscription, SubscriptionStatus


def subscription_get_live(*, user: User) -> Subscription | None:
    """The reader's live subscription (at most one: a database constraint), or None."""
    return (
        Subscription.objects.select_related("plan")
        .filter(user=user, status__in=LIVE_STATUSES)
        .first()
    )


def subscription_get_current(*, user: User) -> Subscription | None:
    """The live subscription, else the most recent one, else None."""
    live = subscription_get_live(user=user)
    if live is not None:
        return live
    return (
        Subscription.objects.select_related("plan")
        .filter(user=user)
        .order_by("-created_at")
        .first()
    )


def pause_is_running(subscription: Subscription, *, now: datetime | None = None) -> bool:
    """The reader paused collection (billing/services/pause.py) and the pause has not
    reached its resume date: the subscription gives no access meanwhile."""
    if not subscription.is_collection_paused or subscription.status in (
        SubscriptionStatus.CANCELED,
        SubscriptionStatus.INCOMPLETE_EXPIRED,
    ):
        return False
    resumes_at = subscription.pause_resumes_at
    return resumes_at is None or resumes_at > (now or timezone.now())


def subscription_access_until(
    subscription: Subscription, *, now: datetime | None = None
) -> datetime | None:
    """Until when this subscription alone grants unlimited access, or None if it does not now."""
    now = now or timezone.now()
    if pause_is_running(subscription, now=now):
        return None  # paused by the reader: metered until it resumes
    status = subscription.status
    if status == SubscriptionStatus.TRIALING:
        end = subscription.trial_end or subscription.current_period_end
    elif status == SubscriptionStatus.ACTIVE:
        end = subscription.current_period_end
    elif status == SubscriptionStatus.PAST_DUE:
        # Access while Stripe retries the card, or for PAST_DUE_GRACE_DAYS after
        # the failed renewal (the start of the unpaid period).
        grace = settings.PAST_DUE_GRACE_DAYS
        if grace is None:
            end = subscription.current_period_end
        elif subscription.current_period_start:
            end = subscription.current_period_start + timedelta(days=grace)
        else:
            end = None
    else:
        return None
    if end is None or end <= now:
        return None
    return end


def subscription_has_unlimited_access(
    subscription: Subscription, *, now: datetime | None = None
) -> bool:
    return subscription_access_until(subscription, now=now) is not None
