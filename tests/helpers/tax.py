"""Readers who say where they are (Stripe Tax), as the tests drive them."""

from __future__ import annotations

from typing import Any

from billing.models import StripeEvent
from tests.billing.webhooks import deliver, event_body

TRIAL = "/api/billing/trial/"
SUBSCRIBE = "/api/billing/subscribe/"


def taxed(stripe: Any, behavior: str = "exclusive") -> Any:
    """The emulator's account with Stripe Tax's default tax behavior set (Stripe Tax's
    settings), which the plans' prices use while they specify none."""
    stripe.settings(tax_behavior=behavior)
    return stripe


def trial_from(client: Any, plan: str = "monthly", **where: str) -> Any:
    """POST a trial start (with a card) from a reader who says where they are."""
    body = {"plan": plan, "payment_method": "pm_card_visa", **where}
    return client.post(TRIAL, body, format="json")


def subscribe_from(client: Any, plan: str = "monthly", **where: str) -> Any:
    body = {"plan": plan, "payment_method": "pm_card_visa", **where}
    return client.post(SUBSCRIBE, body, format="json")


def invoices(client: Any) -> list[dict[str, Any]]:
    response = client.get("/api/billing/invoices/")
    assert response.status_code == 200, response.json()
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def send(client: Any, captured: Any, event_type: str, obj: dict[str, Any]) -> None:
    """Deliver a signed event and run the processing it queued (Celery eager)."""
    with captured(execute=True):
        response = deliver(client, event_body(event_type, obj))
    assert response.status_code == 200
    assert StripeEvent.objects.order_by("-received_at").first().status == "processed"
