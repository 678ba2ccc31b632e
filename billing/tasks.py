"""Thin Celery tasks: take ids, call a service, retry on gateway errors only.

Services are imported inside the task bodies and services that enqueue import
this module (webhooks.py), so there is no import cycle.
"""

from __future__ import annotations

import logging
import random

from celery import shared_task
from django.conf import settings

from billing import gateway

logger = logging.getLogger(__name__)


def _backoff(retries: int) -> int:
    """Exponential back-off with full jitter, capped below the broker's visibility timeout."""
    cap = settings.CELERY_TASK_RETRY_BACKOFF_MAX
    return random.randint(1, min(cap, 2 ** (retries + 2)))  # noqa: S311 - jitter, not crypto


@shared_task(bind=True, max_retries=None, acks_late=True)
def process_stripe_event(self, event_id: str) -> str:
    from billing.services.events import stripe_event_process

    try:
        return stripe_event_process(event_id=event_id)
    except gateway.GatewayError as exc:
        if exc.retryable and self.request.retries + 1 < settings.STRIPE_EVENT_MAX_ATTEMPTS:
            raise self.retry(exc=exc, countdown=_backoff(self.request.retries)) from exc
        logger.error(
            "stripe event %s failed after %d attempts: %s",
            event_id,
            self.request.retries + 1,
            exc.detail,
        )
        return "failed"


@shared_task
def requeue_stripe_events() -> int:
    from billing.services.webhooks import stripe_events_requeue

    return len(stripe_events_requeue())


@shared_task(bind=True, max_retries=3)
def reconcile_subscriptions(self, after_pk: int | None = None) -> int:
    """A part that ends well within the time limit; the next part continues where it stopped.

    Beat's run (no `after_pk`) resumes a pass whose chain broke from its cursor, or
    starts a new one, and does nothing while a pass is under way.
    """
    from billing.services.reconcile import (
        reconcile_cursor_save,
        reconcile_cursor_take,
        subscriptions_reconcile_part,
    )

    if after_pk is None:
        after_pk = reconcile_cursor_take(stale_after=2 * settings.CELERY_TASK_TIME_LIMIT)
        if after_pk is None:
            return 0
    try:
        changed, resume_after = subscriptions_reconcile_part(
            after_pk=after_pk, seconds=settings.CELERY_TASK_SOFT_TIME_LIMIT / 2
        )
    except gateway.StripeUnavailable as exc:
        raise self.retry(
            exc=exc, countdown=_backoff(self.request.retries), kwargs={"after_pk": after_pk}
        ) from exc
    reconcile_cursor_save(resume_after)
    if resume_after is not None:
        reconcile_subscriptions.delay(after_pk=resume_after)
    return len(changed)


@shared_task
def send_pause_reminders() -> int:
    """The "pause ends soon" mails due now (each sent once: billing's Notification claim)."""
    from billing.services.pause import pause_reminders_send

    return pause_reminders_send()


@shared_task
def prune_stripe_records() -> dict[str, int]:
    """Processed Stripe events and finished attempts past their retention (a bounded run)."""
    from billing.services.retention import stripe_attempts_prune, stripe_events_prune

    return {"events": stripe_events_prune(), "attempts": stripe_attempts_prune()}
