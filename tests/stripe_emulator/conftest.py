"""Shared helpers for the emulator's own tests (the fixtures come from the plugin)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def price(stripe_client) -> Any:
    """A monthly 9.99 USD price on a product named Gold."""
    product = stripe_client.v1.products.create(params={"name": "Gold"})
    return stripe_client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "usd",
            "unit_amount": 999,
            "recurring": {"interval": "month"},
            "lookup_key": "gold_monthly",
        }
    )


@pytest.fixture
def yearly_price(stripe_client, price) -> Any:
    return stripe_client.v1.prices.create(
        params={
            "product": price.product,
            "currency": "usd",
            "unit_amount": 9990,
            "recurring": {"interval": "year"},
        }
    )


def customer_with_card(client, card: str = "pm_card_visa", **params: Any):
    """A customer whose invoice default is made from the test token `card`: (customer, pm)."""
    customer = client.v1.customers.create(params={"email": "reader@example.com", **params})
    pm = client.v1.payment_methods.attach(card, params={"customer": customer.id})
    customer = client.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": pm.id}}
    )
    return customer, pm


@pytest.fixture
def receiver(stripe_emulator):
    """A receiver registered as an endpoint for every event (after the reset)."""
    from .receiver import Receiver

    rec = Receiver()
    stripe_emulator.register_webhook(rec.url, rec.secret)
    try:
        yield rec
        stripe_emulator.flush()
        # Every delivery of the test passed the SDK's signature check.
        assert rec.rejected == []
        assert rec.deliveries or not stripe_emulator.webhook_attempts()
    finally:
        rec.stop()


DAY = 86400
HOUR = 3600


def moment(emulator, receiver) -> set[str]:
    """The event types delivered since the last moment (Stripe gives no order within one)."""
    emulator.flush()
    return {e.type for e in receiver.take()}
