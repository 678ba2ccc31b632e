"""A whole subscription life, driven by Stripe's clock and Stripe's webhooks.

The emulator delivers signed webhooks to the live test server, which stores
and processes them (Celery eager): trial -> reminder -> conversion ->
renewal -> failed payment -> retries -> cancellation, in seconds. The life
starts on each pinned calendar date (month ends, 29 February, 31 December),
and every step moves Stripe's clock to a moment read from the subscription
or its invoice, so the story holds whatever the date the suite runs on.
"""

import pytest
from django.core import mail

from billing.models import StripeEvent, Subscription
from tests.billing.webhooks import SECRET
from tests.stripe_time import (
    DAY,
    SLACK,
    past_renewal,
    past_trial_end,
    pin_start,
    pinned_start_params,
    trial_end,
    unix,
)

# The live server answers deliveries on several threads at once: PostgreSQL.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def hooked(stripe, live_server):
    stripe.register_webhook(f"{live_server.url}/api/billing/webhooks/stripe/", secret=SECRET)
    return stripe


def delivered(stripe):
    stripe.flush(retries=True)


def local(sub_id):
    return Subscription.objects.get(stripe_subscription_id=sub_id)


@pinned_start_params()
def test_trial_conversion_renewal_dunning_and_cancellation(
    hooked, plans, reader, reader_client, stripe_sdk, start_date
):
    stripe = hooked
    started = pin_start(stripe, *start_date)
    trial = reader_client.post(
        "/api/billing/trial/", {"plan": "monthly", "payment_method": "pm_card_visa"}, format="json"
    ).json()
    sub_id = trial["id"]
    delivered(stripe)
    assert local(sub_id).status == "trialing"
    assert started <= unix(trial["trial_start"]) < started + 60  # Stripe's clock runs on
    assert trial_end(trial) == unix(trial["trial_start"]) + 30 * DAY

    # Three days before the end: one reminder, with the date and the price.
    stripe.advance(to=trial_end(trial) - 3 * DAY + SLACK)
    delivered(stripe)
    reminders = [m for m in mail.outbox if m.subject == "Your free trial ends soon"]
    assert len(reminders) == 1
    assert "$9.99" in reminders[0].body

    # The trial ends: active at once, charged about an hour later, a receipt.
    past_trial_end(stripe, trial)
    delivered(stripe)
    assert local(sub_id).status == "active"
    assert [m.subject for m in mail.outbox].count("Your payment receipt") == 1

    # At the period's end the renewal is paid too; the period moves on.
    first = local(sub_id)
    past_renewal(stripe, first)
    delivered(stripe)
    renewed = local(sub_id)
    assert renewed.status == "active"
    assert renewed.current_period_start == first.current_period_end
    assert renewed.current_period_end > first.current_period_end
    assert [m.subject for m in mail.outbox].count("Your payment receipt") == 2

    # The card starts failing: past_due, access kept while Stripe retries, one mail.
    response = reader_client.post(
        "/api/billing/payment-method/",
        {"payment_method": "pm_card_chargeCustomerFail"},
        format="json",
    )
    assert response.status_code == 200
    past_renewal(stripe, renewed)
    delivered(stripe)
    assert local(sub_id).status == "past_due"
    assert reader_client.get("/api/billing/subscription/").json()["has_unlimited_access"] is True
    assert [m.subject for m in mail.outbox].count("We could not take your payment") == 1

    # Stripe's retries (3, 5 and 7 days apart) fail; then Stripe cancels, and so do we.
    retries = 0
    while local(sub_id).status == "past_due":
        invoice = stripe_sdk.v1.invoices.retrieve(local(sub_id).latest_invoice_id)
        assert invoice.next_payment_attempt is not None, "past_due with no retry planned"
        stripe.advance(to=invoice.next_payment_attempt + SLACK)
        delivered(stripe)
        retries += 1
        assert retries <= 3
    final = local(sub_id)
    assert retries == 3
    assert final.status == "canceled"
    assert final.ended_at is not None
    assert reader_client.get("/api/billing/subscription/").json()["has_unlimited_access"] is False

    assert not StripeEvent.objects.filter(status__in=["received", "failed", "processing"]).exists()
    assert StripeEvent.objects.filter(type="invoice.payment_failed").count() == 4
