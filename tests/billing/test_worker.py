"""With a real worker: the webhook answers at once, the worker applies Stripe's state."""

import pytest

from billing.models import StripeEvent, Subscription
from tests.billing.webhooks import deliver, event_body
from tests.worker import celery_worker, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_a_webhook_is_processed_by_a_real_worker(client, plans, reader_client, stripe, stripe_sdk):
    body = reader_client.post("/api/billing/trial/", {"plan": "monthly"}, format="json").json()
    local = Subscription.objects.get(stripe_subscription_id=body["id"])
    stripe_sdk.v1.subscriptions.update(body["id"], params={"cancel_at_period_end": True})

    with celery_worker(stripe_url=stripe.url, stripe_key=stripe.api_key) as worker:
        response = deliver(
            client,
            event_body(
                "customer.subscription.updated",
                {"id": body["id"], "customer": local.customer.stripe_customer_id},
                event_id="evt_worker",
            ),
        )
        assert response.status_code == 200
        # the request only stored and queued; the worker does the rest
        assert wait_for(lambda: StripeEvent.objects.get(id="evt_worker").status == "processed"), (
            StripeEvent.objects.get(id="evt_worker").last_error
        )

    local.refresh_from_db()
    assert local.cancel_at_period_end is True
    log = worker.stdout.read()
    assert "billing.tasks.process_stripe_event" in log
    assert "succeeded" in log
