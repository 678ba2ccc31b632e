"""Billing through its API (and the emulator behind it), as the tests drive it."""

from __future__ import annotations

from datetime import UTC, datetime

from billing.models import Subscription
from billing.services import Actor, Audit, subscription_sync_from_stripe


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def start_trial(client, payment_method=None):
    body = {"plan": "monthly"}
    if payment_method:
        body["payment_method"] = payment_method
    response = client.post("/api/billing/trial/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def subscribe(client, payment_method="pm_card_visa"):
    response = client.post(
        "/api/billing/subscribe/",
        {"plan": "monthly", "payment_method": payment_method},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def cancel_now(client):
    """Ask billing to cancel the reader's subscription at once (not at the period's end)."""
    return client.post(
        "/api/billing/subscription/cancel/",
        {"at_period_end": False, "reason": "other"},
        format="json",
    )


def sync(subscription_id: str) -> Subscription:
    """Take Stripe's current state, as a webhook or the reconciliation would."""
    return subscription_sync_from_stripe(
        stripe_subscription_id=subscription_id, audit=Audit(Actor.SYSTEM)
    )
