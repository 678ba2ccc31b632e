"""Stripe customers: one per reader, created on first need."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from accounts.models import User
from billing import gateway
from billing.models import Customer
from billing.services.attempts import stripe_write
from billing.services.audit import Actor, audit_record


def customer_ensure(*, user: User) -> Customer:
    """The reader's Stripe customer, created in Stripe (once) if they have none."""
    existing = Customer.objects.filter(user=user).first()
    if existing is not None:
        return existing
    stripe_customer = stripe_write(
        operation="customer.create",
        user=user,
        params={"user": user.pk},
        call=lambda key: gateway.customer_create(
            email=user.email, metadata={"user_id": str(user.pk)}, idempotency_key=key
        ),
    )
    try:
        with transaction.atomic():
            customer = Customer.objects.create(user=user, stripe_customer_id=stripe_customer["id"])
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
