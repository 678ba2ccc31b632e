"""Stripe customers: one per reader, created on first need."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from accounts.models import User
from audit.services import Actor, audit_record
from billing import gateway
from billing.models import Customer, StripeAttempt
from billing.services.attempts import attempt_begin, attempt_run, lock_reader


def customer_ensure(*, user: User) -> Customer:
    """The reader's Stripe customer, created in Stripe (once) if they have none.

    Concurrent callers serialise on the reader's row while they decide: each
    sees the customer stored, or an attempt that succeeded (its customer id),
    or the pending attempt (whose key makes Stripe replay), or nothing.
    """
    with transaction.atomic():
        lock_reader(user)
        existing = Customer.objects.filter(user=user).first()
        if existing is not None:
            return existing
        # One read of the latest attempt: its status cannot change between two reads.
        latest = (
            StripeAttempt.objects.filter(operation="customer.create", user=user)
            .exclude(status=StripeAttempt.Status.FAILED)
            .order_by("-created_at")
            .first()
        )
        if latest is not None and latest.status == StripeAttempt.Status.SUCCEEDED:
            attempt = None
        elif latest is not None:
            attempt = latest  # in flight elsewhere: same key, Stripe replays
        else:
            attempt = attempt_begin(
                operation="customer.create", user=user, params={"user": user.pk}
            )
    if attempt is None:
        assert latest is not None  # noqa: S101 - narrowing for the type checker
        stripe_customer_id = latest.stripe_object_id
    else:
        stripe_customer_id = attempt_run(
            attempt=attempt,
            call=lambda key: gateway.customer_create(
                email=user.email, metadata={"user_id": str(user.pk)}, idempotency_key=key
            ),
        )["id"]
    return _store(user, stripe_customer_id)


def _store(user: User, stripe_customer_id: str) -> Customer:
    try:
        with transaction.atomic():
            customer = Customer.objects.create(user=user, stripe_customer_id=stripe_customer_id)
            audit_record(
                action="customer.created",
                actor_type=Actor.READER,
                actor_user=user,
                reader=user,
                stripe_object_id=customer.stripe_customer_id,
            )
            return customer
    except IntegrityError:
        # A concurrent request stored the same (replayed) customer first.
        return Customer.objects.get(user=user)
