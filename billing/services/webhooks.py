"""Stripe webhooks in: verified, stored once (unique event id), processing enqueued
after commit; and putting stored events back in the queue (admin, command, the
requeue job). Processing itself is events.py, run by billing.tasks.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DataError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from audit.services import audit_record
from billing import gateway
from billing.gateway import from_unix
from billing.models import StripeEvent
from billing.services.apply import Audit
from billing.tasks import process_stripe_event as process_stripe_event_task

logger = logging.getLogger(__name__)

Status = StripeEvent.Status


def stripe_event_record(*, event: dict[str, Any], payload: str | None = None) -> bool:
    """Store a verified event once; whether it is new. A duplicate delivery changes nothing.

    One statement, INSERT ... ON CONFLICT (id) DO NOTHING RETURNING id: no savepoint,
    no read, and in autocommit its own durable commit (the cheapest way to be sure an
    event we answer 200 for is stored). `payload` is the body as signed, stored as it
    came (else the event is written out again). Inside an outer transaction (a test,
    a caller's atomic block) a savepoint keeps a refused row from breaking it.
    """
    obj = (event.get("data") or {}).get("object") or {}
    row = StripeEvent(
        id=str(event["id"]),
        type=str(event["type"])[:128],
        api_version=str(event.get("api_version") or "")[:64],
        livemode=bool(event.get("livemode")),
        object_id=str(obj.get("id") or "")[:255] if isinstance(obj, dict) else "",
        stripe_created=from_unix(event.get("created")),
        payload=event,
    )
    values = [  # every column as the model writes it (defaults, auto_now_add)
        payload
        if field.name == "payload" and payload is not None
        else field.get_db_prep_save(field.pre_save(row, True), connection)
        for field in _COLUMNS
    ]
    savepoint = transaction.atomic() if connection.in_atomic_block else nullcontext()
    with savepoint, connection.cursor() as cursor:
        cursor.execute(_INSERT_ONCE, values)
        return cursor.fetchone() is not None


_COLUMNS = StripeEvent._meta.concrete_fields
_INSERT_ONCE = (
    f"INSERT INTO {StripeEvent._meta.db_table} "  # noqa: S608 - our own table and columns
    f"({', '.join(f.column for f in _COLUMNS)}) VALUES ({', '.join(['%s'] * len(_COLUMNS))}) "
    "ON CONFLICT (id) DO NOTHING RETURNING id"
)


def webhook_body_check_size(*, size: int) -> None:
    """Refuse a body over STRIPE_WEBHOOK_MAX_BYTES (400 payload_too_large): the view
    asks with the declared Content-Length before reading, the service with the body."""
    if size > settings.STRIPE_WEBHOOK_MAX_BYTES:
        raise gateway.WebhookRejected("The body is too large.", code="payload_too_large")


def stripe_event_receive(*, payload: bytes, signature: str) -> bool:
    """Verify, store once and enqueue processing after commit; whether the event is new
    (False: a duplicate delivery). No Stripe call here."""
    webhook_body_check_size(size=len(payload))
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
        created = stripe_event_record(event=event, payload=_utf8(payload))
    except DataError as exc:  # e.g. a NUL character, which PostgreSQL's jsonb cannot hold
        logger.warning("signed stripe event %s could not be stored: %s", event["id"], exc)
        raise gateway.WebhookRejected(
            "The body is not a Stripe event: it cannot be stored.", code="malformed_event"
        ) from exc
    if created:
        _enqueue_on_commit(event["id"])  # at once in autocommit; after an outer commit
    return created


def _utf8(payload: bytes) -> str | None:
    """The body as text to store as it came; None (write the event out again) for a
    body in another encoding, which json.loads reads but is not Stripe's."""
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return None


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
    try:
        process_stripe_event_task.delay(event_id)
    except Exception:  # broker down, or (eager, in process) the task itself failed
        logger.exception("could not run or queue processing of stripe event %s", event_id)


def stripe_event_reprocess(*, event_id: str, audit: Audit | None = None) -> None:
    """Put an event back in the queue (admin action, command, requeue job); a person's
    request (`audit`, with the staff member and why) is audited."""
    updated = (
        StripeEvent.objects.filter(id=event_id)
        .exclude(status=Status.PROCESSING)
        .update(status=Status.RECEIVED)
    )
    if updated and audit is not None:
        event = StripeEvent.objects.get(id=event_id)
        audit_record(
            action="stripe_event.reprocess",
            actor_type=audit.actor_type,
            actor_user=audit.user,
            reason=audit.reason,
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
