"""Reads for win-back: who has paid, who lapsed and when, and which offers a reader
may use now (GET /api/billing/offers/?eligible=1).

Definitions, from our mirror of Stripe (never a call to Stripe):

- paid: the reader has a receipt (billing's Notification of kind "receipt": one per
  invoice Stripe reported paid for more than zero; a trial's $0 invoice sends none),
  or a subscription that is active now.
- lapsed: the reader has no live subscription and their latest one ended (canceled,
  or incomplete_expired) with an `ended_at`; they lapsed at that `ended_at`.

The list follows the rules a redemption applies (offers.services.offer_check_for_reader),
so it never lists an offer the reader would be refused.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from accounts.models import User
from billing.models import (
    FINAL_STATUSES,
    LIVE_STATUSES,
    Notification,
    Subscription,
    SubscriptionStatus,
)
from offers.models import Offer, Redemption
from offers.selectors import offers_available_now

RECEIPT = "receipt"  # billing.services.events.on_invoice_paid's Notification kind


def paid_by_reader(user_ref: OuterRef) -> Q:
    """Q for "this reader has paid" (see the module docstring) in a subquery: `user_ref`
    points at the reader."""
    return Q(Exists(Notification.objects.filter(user=user_ref, kind=RECEIPT))) | Q(
        Exists(Subscription.objects.filter(user=user_ref, status=SubscriptionStatus.ACTIVE))
    )


def reader_lapsed_at(*, user: User) -> datetime | None:
    """When the reader's latest subscription ended, if they have none live now."""
    subscriptions = Subscription.objects.filter(user=user)
    if subscriptions.filter(status__in=LIVE_STATUSES).exists():
        return None
    return (
        subscriptions.filter(status__in=FINAL_STATUSES, ended_at__isnull=False)
        .order_by("-ended_at")
        .values_list("ended_at", flat=True)
        .first()
    )


def offer_targets_reader(*, offer: Offer, user: User, lapsed_at: datetime | None = None) -> bool:
    """An offer aimed at lapsed readers (lapsed_within_days) is only for a reader who
    lapsed within that many days of now (our clock); any other offer is for everyone."""
    if offer.lapsed_within_days is None:
        return True
    if lapsed_at is None:
        lapsed_at = reader_lapsed_at(user=user)
    if lapsed_at is None:
        return False
    return lapsed_at >= timezone.now() - timedelta(days=offer.lapsed_within_days)


def offers_eligible_for_reader(*, user: User) -> list[Offer]:
    """The offers this reader may use now: available, not used (or held) by them,
    first-time-only ones only if they never subscribed (the redemption's rule, which
    implies never paid), targeted ones only inside their target. Soonest-ending first."""
    candidates = (
        offers_available_now()
        .exclude(Exists(Redemption.objects.filter(offer=OuterRef("pk"), user=user)))
        .order_by(F("ends_at").asc(nulls_last=True), "code")
    )
    if Subscription.objects.filter(user=user).exists():
        candidates = candidates.filter(first_time_only=False)
    lapsed_at = reader_lapsed_at(user=user)
    return [
        offer
        for offer in candidates
        if offer_targets_reader(offer=offer, user=user, lapsed_at=lapsed_at)
    ]
