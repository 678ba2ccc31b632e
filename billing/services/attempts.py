"""Stripe writes as recorded attempts (docs/architecture.md, "Idempotency").

An attempt row is committed before the call and carries the idempotency key.
The same operation for the same reader with the same parameters, while its
attempt is still pending (a timeout, Stripe unreachable, a crash, a double
click), reuses the key, so Stripe replays its first answer instead of acting
twice. A finished attempt is never reused: a new attempt gets a new key.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone

from accounts.models import User
from billing.gateway import GatewayError
from billing.models import StripeAttempt
from config.errors import Conflict

T = TypeVar("T")

# Stripe keeps keys at least 24 hours; an older pending attempt is not reused.
ATTEMPT_REUSE_WINDOW = timedelta(hours=23)

# A hold outlives the holding request's whole Stripe time budget by this much:
# what that request sent may still be executing at Stripe just after it gave up.
HOLD_MARGIN = timedelta(seconds=10)


def _digest(params: dict[str, Any]) -> str:
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def attempt_begin(*, operation: str, user: User | None, params: dict[str, Any]) -> StripeAttempt:
    """Reuse the pending attempt with these parameters, or record a new one (committed)."""
    digest = _digest(params)
    pending = StripeAttempt.objects.filter(
        operation=operation, user=user, params_digest=digest, status=StripeAttempt.Status.PENDING
    )
    for _ in range(3):
        existing = pending.order_by("-created_at").first()
        if existing is not None:
            if existing.created_at >= timezone.now() - ATTEMPT_REUSE_WINDOW:
                return existing
            attempt_abandon(attempt=existing, reason="expired: Stripe no longer keeps its key")
        attempt_id = uuid.uuid4()
        try:
            with transaction.atomic():
                return StripeAttempt.objects.create(
                    id=attempt_id,
                    operation=operation,
                    user=user,
                    params=params,
                    params_digest=digest,
                    idempotency_key=f"{operation}:{attempt_id}",
                )
        except IntegrityError:
            continue  # a concurrent request recorded the same attempt first: share it
    raise AttemptInFlight(
        "The same operation is already under way; try again in a moment.",
        code="operation_in_progress",
    )


class AttemptInFlight(Conflict):
    pass


def attempt_refuse_if_done_meanwhile(*, attempt: StripeAttempt, since: datetime) -> None:
    """Refuse a new attempt when another of the same operation for the same reader
    succeeded after `since`, the moment the state it was decided on was read.

    The gap it closes: a double click's second request reads the state while the
    first is between its Stripe answer (its attempt closed, so nothing pending to
    share) and its local write. Deciding on that stale state would send the write
    twice under two keys. Nothing was sent under this attempt's key: it is closed,
    and the reader is told to look again in a moment.
    """
    done = (
        StripeAttempt.objects.filter(
            operation=attempt.operation,
            user=attempt.user,
            status=StripeAttempt.Status.SUCCEEDED,
            completed_at__gt=since,
        )
        .exclude(pk=attempt.pk)
        .exists()
    )
    if done:
        attempt_abandon(attempt=attempt, reason="the same operation succeeded meanwhile")
        raise AttemptInFlight(
            "The same operation has just been done; reload to see it.",
            code="operation_in_progress",
        )


def attempt_named(
    *, operation: str, user: User | None, name: str, params: dict[str, Any]
) -> StripeAttempt:
    """The one attempt of a write that may happen once ever; its key names what it is for.

    For writes decided from Stripe's state rather than asked for (the refund of
    a duplicate subscription's invoice): whoever decides it, however often, the
    key is the same, so Stripe acts once.
    """
    key = f"{operation}:{name}"
    try:
        with transaction.atomic():
            attempt, _ = StripeAttempt.objects.get_or_create(
                idempotency_key=key,
                defaults={
                    "operation": operation,
                    "user": user,
                    "params": params,
                    "params_digest": _digest({**params, "name": name}),
                },
            )
    except IntegrityError:
        attempt = StripeAttempt.objects.get(idempotency_key=key)
    return attempt


def attempt_hold_seconds() -> float:
    """How long a request may use an attempt's key: its Stripe budget and a margin."""
    budget = float(getattr(settings, "STRIPE_REQUEST_BUDGET_SECONDS", 20))
    return budget + HOLD_MARGIN.total_seconds()


def attempt_hold(*, attempt: StripeAttempt) -> None:
    """Count this request in as a user of the attempt's key and extend the lease.

    Called under the reader's lock. A lease that has run out had no live
    holder left (each request's Stripe time is bounded), so the count restarts.
    """
    now = timezone.now()
    until = now + timedelta(seconds=attempt_hold_seconds())
    StripeAttempt.objects.filter(pk=attempt.pk).update(
        holders=Case(When(held_until__gt=now, then=F("holders") + 1), default=Value(1)),
        held_until=Case(When(held_until__gt=until, then=F("held_until")), default=Value(until)),
    )
    attempt.refresh_from_db(fields=["holders", "held_until", "status"])


def attempt_release(*, attempt: StripeAttempt) -> None:
    """Count this request out (it is done with the key, whatever happened)."""
    StripeAttempt.objects.filter(pk=attempt.pk).update(holders=Greatest(F("holders") - 1, 0))


def attempt_is_held(attempt: StripeAttempt) -> bool:
    """Someone may still be using the key: counted in, and within the lease."""
    return bool(
        attempt.holders > 0
        and attempt.held_until is not None
        and attempt.held_until > timezone.now()
    )


def attempt_abandon(*, attempt: StripeAttempt, reason: str) -> None:
    """Close a pending attempt that will never be retried (the next try gets a new key).

    Only for an attempt that cannot be in flight: expired, or not held and
    Stripe already asked what exists (see creation.subscription_creation_begin).
    """
    StripeAttempt.objects.filter(pk=attempt.pk, status=StripeAttempt.Status.PENDING).update(
        status=StripeAttempt.Status.FAILED,
        error_code="abandoned",
        error_message=reason,
        completed_at=timezone.now(),
    )


def stripe_write(
    *,
    operation: str,
    user: User | None,
    params: dict[str, Any],
    call: Callable[[str], T],
) -> T:
    """Record (or reuse) the attempt, then run it: see attempt_run.

    Run one Stripe write under its attempt's idempotency key and record the outcome.

    Stripe unreachable: the attempt stays pending, so a retry reuses the key.
    Declined or invalid: Stripe stored that answer under the key, so the
    attempt is closed as failed and the next try is a new attempt.
    """
    attempt = attempt_begin(operation=operation, user=user, params=params)
    return attempt_run(attempt=attempt, call=call)


def attempt_run(*, attempt: StripeAttempt, call: Callable[[str], T]) -> T:
    """Make the attempt's Stripe call with its key; record success or a final failure."""
    try:
        result = call(attempt.idempotency_key)
    except GatewayError as exc:
        if not exc.retryable:
            StripeAttempt.objects.filter(pk=attempt.pk).update(
                status=StripeAttempt.Status.FAILED,
                error_code=(exc.stripe_code or exc.code)[:64],
                error_message=exc.detail,
                completed_at=timezone.now(),
            )
        raise
    StripeAttempt.objects.filter(pk=attempt.pk).update(
        status=StripeAttempt.Status.SUCCEEDED,
        stripe_object_id=str(result.get("id") or "") if isinstance(result, dict) else "",
        completed_at=timezone.now(),
    )
    return result


def lock_reader(user: User) -> None:
    """Serialise one reader's billing decisions on their row (inside a transaction).

    FOR NO KEY UPDATE: it does not conflict with the key-share locks that
    inserting rows pointing at the reader takes, so it cannot deadlock with them.
    """
    no_key = connection.features.has_select_for_no_key_update
    User.objects.select_for_update(no_key=no_key).filter(pk=user.pk).first()
