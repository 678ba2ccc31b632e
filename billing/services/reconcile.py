"""The periodic reconciliation: Stripe's subscriptions walked customer by customer,
and what differs from our rows applied (drift, missed webhooks, duplicates)."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError
from django.utils import timezone

from audit.services import Actor
from billing import gateway
from billing.models import FINAL_STATUSES, Customer, Subscription
from billing.services.apply import MIRRORED_FIELDS, Audit, subscription_sync_from_stripe
from billing.services.duplicates import subscription_duplicates_resolve

logger = logging.getLogger(__name__)


class ReadsPerSecond:
    """At most `rate` requests in any one second, by our clock: a request that would be
    one too many waits (sleeps) until the oldest of the last ones is a second old.

    The second is measured a little long (WINDOW), so that network jitter never
    lets Stripe see one request more in its second than we counted in ours.
    """

    WINDOW = 1.05

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("the rate must be positive")
        self.burst = max(1, int(rate))  # e.g. 20 in 1.05 s; 0.5/s is 1 in 2.1 s
        self.window = self.WINDOW * self.burst / rate
        self._clock, self._sleep = clock, sleep
        self._starts: deque[float] = deque()

    def acquire(self) -> None:
        now = self._clock()
        if len(self._starts) == self.burst:
            wait = self._starts[0] + self.window - now
            if wait > 0:
                self._sleep(wait)
                now = self._clock()
            self._starts.popleft()
        self._starts.append(now)


def subscriptions_reconcile(*, batch_size: int = 200) -> list[str]:
    """Walk Stripe's subscriptions, customer by customer, and apply what differs.

    Fixes drift and missed webhooks; returns (and logs) the ids that changed.
    """
    changed, _ = subscriptions_reconcile_part(batch_size=batch_size)
    return changed


def subscriptions_reconcile_part(
    *,
    after_pk: int = 0,
    seconds: float | None = None,
    batch_size: int = 200,
    limiter: ReadsPerSecond | None = None,
) -> tuple[list[str], int | None]:
    """Reconcile the customers past `after_pk`, in primary-key order, a batch at a time,
    every Stripe request held to RECONCILE_STRIPE_READS_PER_SECOND (or `limiter`).

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
    if limiter is None:
        limiter = ReadsPerSecond(settings.RECONCILE_STRIPE_READS_PER_SECOND)
    with gateway.stripe_paced(limiter.acquire):
        return _reconcile_part(after_pk=after_pk, seconds=seconds, batch_size=batch_size)


def _reconcile_part(
    *, after_pk: int, seconds: float | None, batch_size: int
) -> tuple[list[str], int | None]:
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


# Where the pass under way has got to, and when it last moved: {"after_pk", "at"}.
CURSOR_KEY = "billing:reconcile:cursor"


def reconcile_cursor_take(*, stale_after: float) -> int | None:
    """Where a new run starts (beat's): None while a pass is under way (its cursor moved
    less than `stale_after` seconds ago); else after the cursor a pass that stopped left
    (its chain broke: a worker died, Stripe stayed down), or 0 for a new pass. The run
    takes the cursor over."""
    cursor = _cache_call(lambda: cache.get(CURSOR_KEY))
    now = timezone.now().timestamp()
    if isinstance(cursor, dict) and now - float(cursor.get("at", 0)) < stale_after:
        return None
    after_pk = int(cursor["after_pk"]) if isinstance(cursor, dict) else 0
    reconcile_cursor_save(after_pk)
    return after_pk


def reconcile_cursor_save(after_pk: int | None) -> None:
    """Record where the pass got to (None: the pass is complete, the next one starts at 0)."""
    if after_pk is None:
        _cache_call(lambda: cache.delete(CURSOR_KEY))
    else:
        cursor = {"after_pk": after_pk, "at": timezone.now().timestamp()}
        _cache_call(lambda: cache.set(CURSOR_KEY, cursor, timeout=None))


def _cache_call(call: Callable[[], Any]) -> Any:
    """The cursor is a convenience: without the cache a pass starts again from 0."""
    try:
        return call()
    except Exception:  # any cache failure (connection, timeout)
        logger.warning("reconcile: the cursor could not be read or written", exc_info=True)
        return None


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
