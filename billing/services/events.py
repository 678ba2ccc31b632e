"""Stripe webhook events: stored once on arrival, processed by a Celery task.

Processing claims the row, dispatches through an explicit table, and never
trusts the event's copy of an object: the current object is re-read from
Stripe (under the local row's lock) and applied, so a late or reordered
event cannot overwrite newer state (docs/architecture.md, "Sources of truth").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DataError, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from audit.services import Actor, audit_record
from billing import gateway
from billing.gateway import from_unix
from billing.models import FINAL_STATUSES, Customer, StripeEvent, Subscription
from billing.services.apply import subscription_sync_from_stripe
from billing.services.duplicates import (
    subscription_duplicates_resolve,
    subscription_is_duplicate,
)
from billing.services.notifications import format_amount, notification_send_once

logger = logging.getLogger(__name__)

Status = StripeEvent.Status


class UnknownCustomer(Exception):
    """The event concerns a Stripe customer that is not one of our readers."""


def stripe_event_record(*, event: dict[str, Any]) -> tuple[StripeEvent, bool]:
    """Store a verified event once; (event, created). A duplicate delivery changes nothing."""
    obj = (event.get("data") or {}).get("object") or {}
    try:
        with transaction.atomic():
            stored = StripeEvent.objects.create(
                id=str(event["id"]),
                type=str(event["type"])[:128],
                api_version=str(event.get("api_version") or "")[:64],
                livemode=bool(event.get("livemode")),
                object_id=str(obj.get("id") or "")[:255] if isinstance(obj, dict) else "",
                stripe_created=from_unix(event.get("created")),
                payload=event,
            )
    except IntegrityError:
        return StripeEvent.objects.get(id=event["id"]), False
    return stored, True


def _claim(event_id: str) -> StripeEvent | None:
    """Mark the event processing (one worker at a time); None if there is nothing to do."""
    stale = timezone.now() - timedelta(seconds=settings.STRIPE_EVENT_STUCK_SECONDS)
    with transaction.atomic():
        event = StripeEvent.objects.select_for_update().filter(id=event_id).first()
        if event is None or event.status in (Status.PROCESSED, Status.IGNORED):
            return None
        if (
            event.status == Status.PROCESSING
            and event.processing_started_at
            and event.processing_started_at > stale
        ):
            return None  # another worker has it
        event.status = Status.PROCESSING
        event.attempts += 1
        event.processing_started_at = timezone.now()
        event.save(update_fields=["status", "attempts", "processing_started_at"])
        return event


def _finish(event: StripeEvent, status: str, error: str = "") -> None:
    StripeEvent.objects.filter(id=event.id).update(
        status=status,
        last_error=error[:2000],
        processed_at=timezone.now() if status in (Status.PROCESSED, Status.IGNORED) else None,
        reader=event.reader,
    )


def stripe_event_process(*, event_id: str) -> str:
    """Process one stored event; returns its final status.

    Gateway errors (Stripe unreachable) leave the event failed and propagate,
    so the task retries with back-off; other errors mark it failed, logged
    with the event id, for the requeue job or a person to retry.
    """
    event = _claim(event_id)
    if event is None:
        return (
            StripeEvent.objects.filter(id=event_id).values_list("status", flat=True).first() or ""
        )
    handler = HANDLERS.get(event.type)
    if handler is None:
        logger.info("stripe event %s of type %s is not handled", event.id, event.type)
        _finish(event, Status.IGNORED, "not handled")
        return Status.IGNORED
    try:
        handler(event)
    except UnknownCustomer as exc:
        logger.info("stripe event %s ignored: %s", event.id, exc)
        _finish(event, Status.IGNORED, str(exc))
        return Status.IGNORED
    except gateway.GatewayError as exc:
        _finish(event, Status.FAILED, f"{type(exc).__name__}: {exc.detail}")
        raise
    except Exception as exc:  # a bug or bad data: recorded, left for a person or the requeue
        logger.exception("stripe event %s (%s) failed", event.id, event.type)
        _finish(event, Status.FAILED, f"{type(exc).__name__}: {exc}")
        return Status.FAILED
    _finish(event, Status.PROCESSED)
    return Status.PROCESSED


# --- handlers -----------------------------------------------------------------


def _object(event: StripeEvent) -> dict[str, Any]:
    return event.payload["data"]["object"]


def _sync_subscription(
    event: StripeEvent, subscription_id: str, customer_id: str | None = None
) -> Subscription:
    if not subscription_id:
        raise UnknownCustomer("no subscription in the event")
    customer_id = customer_id or _object(event).get("customer")
    known = Subscription.objects.filter(stripe_subscription_id=subscription_id).exists()
    if not known and not Customer.objects.filter(stripe_customer_id=customer_id).exists():
        raise UnknownCustomer(f"customer {customer_id} is not one of ours")

    def sync() -> Subscription:
        return subscription_sync_from_stripe(
            stripe_subscription_id=subscription_id,
            actor_type=Actor.STRIPE,
            action=f"stripe.{event.type}",
            reason=event.audit_reason,
        )

    try:
        subscription = sync()
    except IntegrityError:
        # One live subscription per reader is stored: Stripe holds a second one.
        # Settled here, or by a concurrent runner: either way, it is stored ended now.
        customer = Customer.objects.filter(stripe_customer_id=customer_id).first()
        if customer is None:
            raise
        subscription_duplicates_resolve(customer=customer, origin=event.audit_reason)
        subscription = sync()
    event.reader = subscription.user
    return subscription


def on_subscription_changed(event: StripeEvent) -> None:
    _sync_subscription(event, _object(event)["id"])


def on_trial_will_end(event: StripeEvent) -> None:
    subscription = _sync_subscription(event, _object(event)["id"])
    if subscription.cancel_at_period_end or subscription.status != "trialing":
        return  # readers who cancelled get no reminder
    plan = subscription.plan
    has_card = bool(
        subscription.default_payment_method_id or subscription.customer.default_payment_method_id
    )
    notification_send_once(
        kind="trial_will_end",
        key=f"{subscription.stripe_subscription_id}:{subscription.trial_end:%Y%m%d%H%M%S}",
        user=subscription.user,
        stripe_event=event,
        context={
            "trial_end": subscription.trial_end,
            "plan_name": plan.name,
            "amount": format_amount(plan.amount, plan.currency) if has_card else "",
            "currency": plan.currency,
            "interval": plan.interval,
        },
    )


def _invoice_subscription_id(invoice: dict[str, Any]) -> str:
    details = ((invoice.get("parent") or {}).get("subscription_details")) or {}
    sub = details.get("subscription") or invoice.get("subscription") or ""
    return sub if isinstance(sub, str) else str(sub.get("id") or "")


def _invoice_event(event: StripeEvent) -> tuple[dict[str, Any], User | None]:
    """The invoice as Stripe has it now, and the reader it is for."""
    invoice = gateway.invoice_retrieve(invoice_id=_object(event)["id"])
    subscription_id = _invoice_subscription_id(invoice)
    if subscription_id:
        subscription = _sync_subscription(event, subscription_id, invoice.get("customer"))
        return invoice, subscription.user
    customer = Customer.objects.filter(stripe_customer_id=invoice.get("customer")).first()
    if customer is None:
        raise UnknownCustomer(f"customer {invoice.get('customer')} is not one of ours")
    event.reader = customer.user
    return invoice, customer.user


def _notify_invoice(
    event: StripeEvent, *, kind: str, amount_field: str, skip_status: str, **context: Any
) -> None:
    """One mail of this kind about the invoice (as Stripe has it now), unless it is moot."""
    invoice, user = _invoice_event(event)
    if invoice.get("status") == skip_status or not invoice.get(amount_field):
        return  # paid since (a failure is old news), or nothing was owed (the trial's $0)
    if subscription_is_duplicate(stripe_subscription_id=_invoice_subscription_id(invoice)):
        return  # a duplicate's invoice, refunded: support speaks to the reader
    currency = invoice.get("currency", "")
    notification_send_once(
        kind=kind,
        key=invoice["id"],
        user=user,
        stripe_event=event,
        context={
            "amount": format_amount(invoice.get(amount_field), currency),
            "currency": currency,
            "number": invoice.get("number"),
            "period_end": from_unix(_line_period_end(invoice)),
            "invoice_url": invoice.get("hosted_invoice_url"),
            "next_attempt": from_unix(invoice.get("next_payment_attempt")),
            **context,
        },
    )


def _line_period_end(invoice: dict[str, Any]) -> Any:
    lines = (invoice.get("lines") or {}).get("data") or []
    if lines and isinstance(lines[0].get("period"), dict):
        return lines[0]["period"].get("end")
    return invoice.get("period_end")


def on_invoice_paid(event: StripeEvent) -> None:
    _notify_invoice(event, kind="receipt", amount_field="amount_paid", skip_status="")


def on_invoice_payment_failed(event: StripeEvent) -> None:
    _notify_invoice(
        event,
        kind="payment_failed",
        amount_field="amount_due",
        skip_status="paid",
        update_card_url=settings.BILLING_UPDATE_CARD_URL,
    )


def on_invoice_payment_action_required(event: StripeEvent) -> None:
    _notify_invoice(
        event,
        kind="payment_action_required",
        amount_field="amount_due",
        skip_status="paid",
        update_card_url=settings.BILLING_UPDATE_CARD_URL,  # if Stripe gives no invoice page
    )


def on_customer_deleted(event: StripeEvent) -> None:
    customer_id = _object(event)["id"]
    customer = Customer.objects.filter(stripe_customer_id=customer_id).first()
    if customer is None:
        raise UnknownCustomer(f"customer {customer_id} is not one of ours")
    event.reader = customer.user
    if customer.deleted_at is None:
        customer.deleted_at = timezone.now()
        customer.save(update_fields=["deleted_at"])
        audit_record(
            action="stripe.customer.deleted",
            actor_type=Actor.STRIPE,
            reader=customer.user,
            reason=event.audit_reason,
            stripe_object_id=customer_id,
        )
    for subscription in Subscription.objects.filter(customer=customer).exclude(
        status__in=("canceled", "incomplete_expired")
    ):
        subscription_sync_from_stripe(
            stripe_subscription_id=subscription.stripe_subscription_id,
            actor_type=Actor.STRIPE,
            action="stripe.customer.deleted",
            reason=event.audit_reason,
        )


HANDLERS: dict[str, Callable[[StripeEvent], None]] = {
    "customer.subscription.created": on_subscription_changed,
    "customer.subscription.updated": on_subscription_changed,
    "customer.subscription.deleted": on_subscription_changed,
    "customer.subscription.paused": on_subscription_changed,
    "customer.subscription.resumed": on_subscription_changed,
    "customer.subscription.trial_will_end": on_trial_will_end,
    "invoice.paid": on_invoice_paid,
    "invoice.payment_failed": on_invoice_payment_failed,
    "invoice.payment_action_required": on_invoice_payment_action_required,
    "customer.deleted": on_customer_deleted,
}


# --- receiving, requeueing and reconciling -------------------------------------


def stripe_event_receive(*, payload: bytes, signature: str) -> tuple[StripeEvent, bool]:
    """Verify, store once and enqueue processing after commit. No Stripe call here."""
    if len(payload) > settings.STRIPE_WEBHOOK_MAX_BYTES:
        raise gateway.WebhookRejected("The body is too large.", code="payload_too_large")
    event = gateway.webhook_event_verified(
        payload=payload, signature=signature, secrets=settings.STRIPE_WEBHOOK_SECRETS
    )
    problem = _unstorable(event)
    if problem:
        logger.warning("signed stripe event refused: %s", problem)
        raise gateway.WebhookRejected(
            f"The body is not a Stripe event: {problem}.", code="malformed_event"
        )
    try:
        with transaction.atomic():
            stored, created = stripe_event_record(event=event)
            if created:
                _enqueue_on_commit(stored.id)
    except DataError as exc:  # e.g. a NUL character, which PostgreSQL's jsonb cannot hold
        logger.warning("signed stripe event %s could not be stored: %s", event["id"], exc)
        raise gateway.WebhookRejected(
            "The body is not a Stripe event: it cannot be stored.", code="malformed_event"
        ) from exc
    return stored, created


_MAX_ID = StripeEvent._meta.get_field("id").max_length or 255
_MAX_TYPE = StripeEvent._meta.get_field("type").max_length or 128
_MAX_UNIX = 253402300799  # 9999-12-31T23:59:59Z, the last second a datetime holds


def _unstorable(event: dict[str, Any]) -> str:
    """Why a signed event cannot be stored and processed as it is, or "" if it can.

    Stripe's ids and types are short strings and its timestamps unix seconds;
    anything else (an integer id, a 300-character one) would be stored in
    another form or fail on insert, and then fail again in processing. It is
    refused before anything is stored, like any body that is not an event.
    """
    event_id, event_type, created = event.get("id"), event.get("type"), event.get("created")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= _MAX_ID:
        return f"id must be a string of 1 to {_MAX_ID} characters"
    if not isinstance(event_type, str) or not 0 < len(event_type) <= _MAX_TYPE:
        return f"type must be a string of 1 to {_MAX_TYPE} characters"
    if created is not None and (
        isinstance(created, bool) or not isinstance(created, int) or not 0 <= created <= _MAX_UNIX
    ):
        return "created must be a unix timestamp"
    return ""


def _enqueue_on_commit(event_id: str) -> None:
    transaction.on_commit(lambda: _enqueue(event_id))


def _enqueue(event_id: str) -> None:
    """Queue processing; never fail the caller (the event is stored, the requeue job retries)."""
    from billing.tasks import process_stripe_event

    try:
        process_stripe_event.delay(event_id)
    except Exception:  # broker down, or (eager, in process) the task itself failed
        logger.exception("could not run or queue processing of stripe event %s", event_id)


def stripe_event_reprocess(
    *, event_id: str, actor_user: User | None = None, reason: str = ""
) -> None:
    """Put an event back in the queue (admin action, command, requeue job)."""
    updated = (
        StripeEvent.objects.filter(id=event_id)
        .exclude(status=Status.PROCESSING)
        .update(status=Status.RECEIVED)
    )
    if updated and actor_user is not None:
        event = StripeEvent.objects.get(id=event_id)
        audit_record(
            action="stripe_event.reprocess",
            actor_type=Actor.STAFF,
            actor_user=actor_user,
            reason=reason,
            reader=event.reader,
            stripe_object_id=event_id,
        )
    with transaction.atomic():
        _enqueue_on_commit(event_id)


# A failed event is tried again by the requeue job no more often than this (the
# job runs every minute, to find a dead worker's events quickly; a failure is
# not urgent, and each try counts towards STRIPE_EVENT_MAX_ATTEMPTS).
FAILED_RETRY_INTERVAL = timedelta(minutes=5)


def stripe_events_requeue() -> list[str]:
    """Events that should have been processed but were not: enqueue them again.

    Received for over a minute (a lost enqueue); failed below the attempt cap,
    at most every FAILED_RETRY_INTERVAL; or processing for longer than
    STRIPE_EVENT_STUCK_SECONDS, which only a dead worker's claim can be (a
    live worker's task is killed at the task time limit, config/task_limits.py).
    Beat runs this every minute.
    """
    now = timezone.now()
    stuck_before = now - timedelta(seconds=settings.STRIPE_EVENT_STUCK_SECONDS)
    failed_before = now - FAILED_RETRY_INTERVAL
    due = (
        Q(status=Status.RECEIVED, received_at__lt=now - timedelta(minutes=1))
        | (
            Q(status=Status.FAILED, attempts__lt=settings.STRIPE_EVENT_MAX_ATTEMPTS)
            & (Q(processing_started_at__isnull=True) | Q(processing_started_at__lt=failed_before))
        )
        | Q(status=Status.PROCESSING, processing_started_at__lt=stuck_before)
    )
    ids = list(
        StripeEvent.objects.filter(due).order_by("received_at").values_list("id", flat=True)[:1000]
    )
    for event_id in ids:
        with transaction.atomic():
            _enqueue_on_commit(event_id)
    if ids:
        logger.info("requeued %d stripe events", len(ids))
    return ids


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
            actor_type=Actor.SYSTEM,
            action="subscription.reconciled",
            reason="periodic reconciliation",
        )
    except gateway.StripeUnavailable:
        raise
    except (gateway.GatewayError, IntegrityError):
        logger.exception("reconcile: %s could not be read or stored", stripe_subscription_id)
        return False
    return _mirrored(after) != before


def _mirrored(subscription: Subscription) -> tuple[Any, ...]:
    from billing.services.apply import MIRRORED_FIELDS

    return tuple(getattr(subscription, name) for name in MIRRORED_FIELDS)
