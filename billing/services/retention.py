"""Retention: Stripe events and attempts past their use are deleted, a bounded batch a run.

Audit entries are never deleted here: they are the reader's history once the
events that caused them are gone (billing.selectors.history.reader_timeline
shows a Stripe entry without its event as an audit row of its own).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from billing.models import StripeAttempt, StripeEvent
from config.batches import delete_in_batches

# Events with nothing left to do: applied, or skipped as not ours to apply.
# Received, processing and failed events stay (a failed one may be reprocessed).
FINISHED_EVENTS = (StripeEvent.Status.PROCESSED, StripeEvent.Status.IGNORED)
# Attempts whose key is done with (succeeded, failed): a pending one may still be
# retried with its key.


def stripe_events_prune(
    *, days: int | None = None, limit: int | None = None, now: datetime | None = None
) -> int:
    """Delete the processed (or ignored) events received more than `days` ago
    (STRIPE_EVENT_RETENTION_DAYS), at most `limit` (RETENTION_ROWS_PER_RUN)."""
    days = settings.STRIPE_EVENT_RETENTION_DAYS if days is None else days
    before = (now or timezone.now()) - timedelta(days=days)
    old = StripeEvent.objects.filter(status__in=FINISHED_EVENTS, received_at__lt=before)
    return delete_in_batches(old, limit=_limit(limit), order_by="received_at")


def stripe_attempts_prune(
    *, days: int | None = None, limit: int | None = None, now: datetime | None = None
) -> int:
    """Delete the succeeded or failed attempts made more than `days` ago
    (STRIPE_ATTEMPT_RETENTION_DAYS), at most `limit` (RETENTION_ROWS_PER_RUN)."""
    days = settings.STRIPE_ATTEMPT_RETENTION_DAYS if days is None else days
    before = (now or timezone.now()) - timedelta(days=days)
    # Written as "not pending", as the index that serves it is (the other statuses are final).
    old = StripeAttempt.objects.exclude(status=StripeAttempt.Status.PENDING).filter(
        created_at__lt=before
    )
    return delete_in_batches(old, limit=_limit(limit), order_by="created_at")


def _limit(limit: int | None) -> int:
    return int(settings.RETENTION_ROWS_PER_RUN) if limit is None else limit
