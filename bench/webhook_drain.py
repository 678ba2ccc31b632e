"""The drain's parts that must be right whatever the timing: subscriptions seeded in
Stripe (the emulator) and here, the events stored about them, and the counting of
events lost or applied twice (tests/bench/test_webhook_drain.py checks them on a
few events with a real worker). No environment is changed on import.
"""

from __future__ import annotations

import time
from typing import Any

BENCH_TABLE = "bench_durable_insert"  # bench/webhook_ingest.py's floor view writes here
UNUSABLE = "!"  # Django's mark for "no password": seeded readers never log in

PER_SUBSCRIPTION = (
    "customer.subscription.updated",
    "invoice.paid",
    "customer.updated",
    "customer.subscription.updated",
)


def bench_price() -> tuple[Any, Any]:
    """The bench's product and its monthly price (9.99 USD) in Stripe (the emulator)."""
    from billing import gateway

    product = gateway.product_create(name="Bench", metadata={}, idempotency_key="bench-prod")
    price = gateway.price_create(
        product_id=product["id"],
        amount=999,
        currency="usd",
        interval="month",
        lookup_key="bench",
        idempotency_key="bench-price",
    )
    return product, price


def seed_subscriptions(count: int) -> list[dict[str, str]]:
    """`count` readers, each with a paid monthly subscription in the emulator and here."""
    from accounts.models import User
    from billing import gateway
    from billing.models import Customer, Plan
    from billing.services.apply import subscription_sync_from_stripe

    product, price = bench_price()
    Plan.objects.create(
        code="bench",
        name="Bench",
        amount=999,
        currency="usd",
        interval="month",
        stripe_product_id=product["id"],
        stripe_price_id=price["id"],
    )
    seeded = []
    for i in range(count):
        user = User.objects.create(email=f"drain{i}@example.com", password=UNUSABLE)
        customer = gateway.customer_create(
            email=user.email, metadata={"user_id": str(user.pk)}, idempotency_key=f"bench-c{i}"
        )
        Customer.objects.create(user=user, stripe_customer_id=customer["id"])
        subscription = gateway.subscription_create(
            customer_id=customer["id"],
            price_id=price["id"],
            trial_days=None,
            payment_method_id="pm_card_visa",
            metadata={"user_id": str(user.pk)},
            idempotency_key=f"bench-s{i}",
        )
        subscription_sync_from_stripe(stripe_subscription_id=subscription["id"], audit=None)
        invoice = subscription.get("latest_invoice")
        invoice_id = invoice if isinstance(invoice, str) else invoice["id"]
        seeded.append(
            {"customer": customer["id"], "subscription": subscription["id"], "invoice": invoice_id}
        )
        if (i + 1) % 500 == 0:
            print(f"  {i + 1} subscriptions seeded")
    return seeded


def events_for(seeded: list[dict[str, str]], total: int, tag: str) -> list[Any]:
    """`total` unsaved StripeEvent rows, PER_SUBSCRIPTION's types round the subscriptions."""
    from django.utils import timezone

    from billing.models import StripeEvent

    now = int(time.time())
    rows = []
    for n in range(total):
        sub = seeded[(n // len(PER_SUBSCRIPTION)) % len(seeded)]
        kind = PER_SUBSCRIPTION[n % len(PER_SUBSCRIPTION)]
        object_id = {
            "customer.subscription.updated": sub["subscription"],
            "invoice.paid": sub["invoice"],
            "customer.updated": sub["customer"],
        }[kind]
        obj = {"id": object_id, "customer": sub["customer"]}
        payload = {
            "id": f"evt_{tag}_{n}",
            "object": "event",
            "type": kind,
            "created": now,
            "livemode": False,
            "data": {"object": obj},
        }
        rows.append(
            StripeEvent(
                id=payload["id"],
                type=kind,
                object_id=object_id,
                stripe_created=timezone.now(),
                payload=payload,
            )
        )
    return rows


def drain_counts(tag: str, invoices: int) -> dict[str, int]:
    """What a drain left: events not processed (lost), events claimed more than once or
    receipts mailed more than once (applied twice), failures, receipts."""
    from django.db.models import Count

    from billing.models import Notification, StripeEvent

    events = StripeEvent.objects.filter(id__startswith=f"evt_{tag}_")
    receipts = Notification.objects.filter(
        kind="receipt", stripe_event__id__startswith=f"evt_{tag}_"
    )
    twice = receipts.values("key").annotate(n=Count("id")).filter(n__gt=1).count()
    return {
        "events": events.count(),
        "processed": events.filter(status=StripeEvent.Status.PROCESSED).count(),
        "lost": events.exclude(status=StripeEvent.Status.PROCESSED).count(),
        "failed": events.filter(status=StripeEvent.Status.FAILED).count(),
        "claimed_twice": events.filter(attempts__gt=1).count(),
        "receipts": receipts.count(),
        "receipts_expected": invoices,
        "receipts_twice": twice,
    }
