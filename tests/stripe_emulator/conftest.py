"""Fixtures for the emulator's own tests (more come from the plugin; helpers: tests/helpers)."""

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
