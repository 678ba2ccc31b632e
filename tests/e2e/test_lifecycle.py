"""A whole subscription life, driven by Stripe's clock and Stripe's webhooks.

The emulator delivers signed webhooks to the live test server, which stores
and processes them (Celery eager): trial -> reminder -> conversion ->
renewal -> failed payment -> retries -> cancellation, in seconds.
"""

import pytest
from django.core import mail

from billing.models import StripeEvent, Subscription
from tests.billing.webhooks import SECRET

# The live server answers deliveries on several threads at once: PostgreSQL.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DAY = 86_400
HOUR = 3_600


@pytest.fixture
def hooked(stripe, live_server):
    stripe.register_webhook(f"{live_server.url}/api/billing/webhooks/stripe/", secret=SECRET)
    return stripe


def advance(stripe, seconds):
    stripe.advance(seconds)
    stripe.flush(retries=True)


def local(sub_id):
    return Subscription.objects.get(stripe_subscription_id=sub_id)


def test_trial_conversion_renewal_dunning_and_cancellation(hooked, plans, reader, reader_client):
    stripe = hooked
    sub_id = reader_client.post(
        "/api/billing/trial/", {"plan": "monthly", "payment_method": "pm_card_visa"}, format="json"
    ).json()["id"]
    stripe.flush(retries=True)
    assert local(sub_id).status == "trialing"

    # Three days before the end: one reminder, with the date and the price.
    advance(stripe, 27 * DAY + HOUR)
    reminders = [m for m in mail.outbox if m.subject == "Your free trial ends soon"]
    assert len(reminders) == 1
    assert "9.99 USD" in reminders[0].body

    # The trial ends: active at once, charged about an hour later, a receipt.
    advance(stripe, 3 * DAY + 2 * HOUR)
    assert local(sub_id).status == "active"
    assert [m.subject for m in mail.outbox].count("Your payment receipt") == 1

    # A month later the renewal is paid too; the period moves on.
    first_period_end = local(sub_id).current_period_end
    advance(stripe, 31 * DAY)
    assert local(sub_id).status == "active"
    assert local(sub_id).current_period_end > first_period_end
    assert [m.subject for m in mail.outbox].count("Your payment receipt") == 2

    # The card starts failing: past_due, access kept while Stripe retries, one mail.
    response = reader_client.post(
        "/api/billing/payment-method/",
        {"payment_method": "pm_card_chargeCustomerFail"},
        format="json",
    )
    assert response.status_code == 200
    advance(stripe, 31 * DAY)
    assert local(sub_id).status == "past_due"
    assert reader_client.get("/api/billing/subscription/").json()["has_unlimited_access"] is True
    assert [m.subject for m in mail.outbox].count("We could not take your payment") == 1

    # Retries at 3, 5 and 7 days fail; then Stripe cancels, and so do we.
    for days in (3, 5, 7):
        advance(stripe, days * DAY + HOUR)
    final = local(sub_id)
    assert final.status == "canceled"
    assert final.ended_at is not None
    assert reader_client.get("/api/billing/subscription/").json()["has_unlimited_access"] is False

    assert not StripeEvent.objects.filter(status__in=["received", "failed", "processing"]).exists()
    assert StripeEvent.objects.filter(type="invoice.payment_failed").count() >= 4
