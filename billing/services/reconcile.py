"""The periodic reconciliation: Stripe's subscriptions walked customer by customer,
and what differs from our rows applied (drift, missed webhooks, duplicates)."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.db import IntegrityError

from audit.services import Actor
from billing import gateway
from billing.models import FINAL_STATUSES, Customer, Subscription
from billing.services.apply import MIRRORED_FIELDS, Audit, subscription_sync_from_stripe
from billing.services.duplicates import subscription_duplicates_resolve

logger = logging.getLogger(__name__)


def subscriptions_reconcile(*, batch_size: int = 200) -> list[str]:
    """Walk Stripe's subscriptions, customer by customer, and apply what differs.

    Fixes drift and missed webhooks; returns (and logs) the ids that changed.
    """
    changed, _ = subscriptions_reconcile_part(batch_size=batch_size)
    return changed


def subscriptions_reconcile_part(
    *, after_pk: int = 0, seconds: float | None = None, batch_size: int = 200
) -> tuple[list[str], int | None]:
    """Reconcile the customers past `after_pk`, in primary-key order, a batch at a time.

    For each customer still in Stripe, every subscription Stripe lists
    (paginated) is re-read and applied if it is live there or here, so one
    that never reached us (a lost answer, a missed webhook) is found too; a
    second live one is cancelled and refunded (subscription_duplicates_resolve);
    a live row here that Stripe did not list is re-read on its own. Once every
    customer was seen, local live rows of deleted customers are re-read.

    Stops once `seconds` have passed (after at least one customer), so that a
    task finishes well within its time limit however many readers there are;
    returns the ids that changed and the customer primary key to resume after,
    or None when everything was seen.
    """
    deadline = None if seconds is None else time.monotonic() + seconds
    changed: list[str] = []
    last_pk = after_pk
    while True:
        batch = list(
            Customer.objects.filter(deleted_at__isnull=True, pk__gt=last_pk).order_by("pk")[
                :batch_size
            ]
        )
        if not batch:
            break
        for customer in batch:
            last_pk = customer.pk
            try:
                changed.extend(_reconcile_customer(customer))
            except gateway.StripeUnavailable:
                raise
            except gateway.GatewayError:
                logger.exception("reconcile: customer %s could not be read", customer)
            if deadline is not None and time.monotonic() >= deadline:
                _log_changed(changed)
                return changed, last_pk
    orphans = Subscription.objects.exclude(status__in=FINAL_STATUSES).filter(
        customer__deleted_at__isnull=False
    )
    for local in orphans.select_related("plan").order_by("pk").iterator(chunk_size=batch_size):
        if _reconcile_one(local.stripe_subscription_id, local):
            changed.append(local.stripe_subscription_id)
    _log_changed(changed)
    return changed, None


def _log_changed(changed: list[str]) -> None:
    if changed:
        logger.warning("reconciliation changed %d subscriptions: %s", len(changed), changed)


def _reconcile_customer(customer: Customer) -> list[str]:
    listed = gateway.subscription_list_for_customer(customer_id=customer.stripe_customer_id)
    changed = subscription_duplicates_resolve(
        customer=customer, origin="reconciliation", listed=listed
    )
    if changed:
        listed = gateway.subscription_list_for_customer(customer_id=customer.stripe_customer_id)
    local = {
        s.stripe_subscription_id: s
        for s in Subscription.objects.filter(customer=customer).select_related("plan")
    }
    # Rows we hold first: one that Stripe ended is stored as ended before another
    # live one is stored (one live row per reader).
    listed.sort(key=lambda s: s["id"] not in local)
    for remote in listed:
        row = local.pop(remote["id"], None)
        if remote["status"] in FINAL_STATUSES and (row is None or row.status in FINAL_STATUSES):
            continue  # ended there and here (or never known): nothing to mirror
        if _reconcile_one(remote["id"], row) and remote["id"] not in changed:
            changed.append(remote["id"])
    for stripe_id, row in local.items():
        if row.status not in FINAL_STATUSES and _reconcile_one(stripe_id, row):
            changed.append(stripe_id)
    return changed


def _reconcile_one(stripe_subscription_id: str, local: Subscription | None) -> bool:
    """Re-read one subscription and apply it; True if what we mirror changed."""
    before = _mirrored(local) if local is not None else None
    try:
        after = subscription_sync_from_stripe(
            stripe_subscription_id=stripe_subscription_id,
            audit=Audit(Actor.SYSTEM, reason="periodic reconciliation"),
            action="subscription.reconciled",
        )
    except gateway.StripeUnavailable:
        raise
    except (gateway.GatewayError, IntegrityError):
        logger.exception("reconcile: %s could not be read or stored", stripe_subscription_id)
        return False
    return _mirrored(after) != before


def _mirrored(subscription: Subscription) -> tuple[Any, ...]:
    return tuple(getattr(subscription, name) for name in MIRRORED_FIELDS)
