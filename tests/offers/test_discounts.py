"""An offer's discount and campaign trial, as Stripe applies them (the emulator)."""

import pytest
from django.core import mail

from audit.models import AuditLog
from billing.models import Subscription
from offers.models import Redemption
from tests.helpers.billing import sync
from tests.stripe_time import DAY, past_renewal, past_trial_end, unix

pytestmark = pytest.mark.django_db


def subscribe_with(client, offer, plan="monthly"):
    return client.post(
        "/api/billing/subscribe/",
        {"plan": plan, "payment_method": "pm_card_visa", "offer": offer},
        format="json",
    )


def trial_with(client, offer, plan="monthly", payment_method="pm_card_visa"):
    body = {"plan": plan, "offer": offer, "payment_method": payment_method}
    return client.post("/api/billing/trial/", body, format="json")


def test_a_3_month_half_price_offer_discounts_exactly_three_invoices(
    half_price_3_months, reader_client, stripe, stripe_sdk
):
    response = subscribe_with(reader_client, "half3")  # codes ignore case
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["discount"]["offer"] == "HALF3"
    assert body["discount"]["percent_off"] == 50
    assert body["discount"]["ends_at"] is not None

    for _ in range(4):  # three renewals, and one past the discount's end
        remote = stripe_sdk.v1.subscriptions.retrieve(body["id"])
        past_renewal(stripe, remote.to_dict())

    invoices = reader_client.get("/api/billing/invoices/").json()["results"]
    paid = sorted(invoices, key=lambda invoice: invoice["created"])
    assert [i["discount_amount"] for i in paid] == [500, 500, 500, 0, 0]
    assert [i["amount_paid"] for i in paid] == [499, 499, 499, 999, 999]
    assert sync(body["id"]).discount == {}  # over: Stripe removed it
    assert reader_client.get("/api/billing/subscription/").json()["discount"] is None


def test_a_14_day_campaign_trial_ends_on_day_14(campaign_trial, reader_client, stripe, stripe_sdk):
    response = trial_with(reader_client, "TRY14")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert unix(body["trial_end"]) - unix(body["trial_start"]) == 14 * DAY
    assert body["discount"] == {
        "offer": "TRY14",
        "percent_off": 20,
        "amount_off": None,
        "currency": None,
        "duration": "once",
        "ends_at": None,
    }
    assert stripe_sdk.v1.subscriptions.retrieve(body["id"]).status == "trialing"

    past_trial_end(stripe, body)

    remote = stripe_sdk.v1.subscriptions.retrieve(body["id"])
    assert remote.status == "active"
    assert remote.trial_end == unix(body["trial_start"]) + 14 * DAY
    invoices = reader_client.get("/api/billing/invoices/").json()["results"]
    first_charge = min((i for i in invoices if i["amount_paid"]), key=lambda i: i["created"])
    assert first_charge["discount_amount"] == 200  # 20% of 9.99, on the conversion invoice
    assert first_charge["amount_paid"] == 799


def test_without_an_offer_the_trial_is_trial_days_long(plans, reader_client, settings):
    body = reader_client.post("/api/billing/trial/", {"plan": "monthly"}, format="json").json()

    assert unix(body["trial_end"]) - unix(body["trial_start"]) == settings.TRIAL_DAYS * DAY
    assert body["discount"] is None


def test_a_redemption_is_recorded_audited_and_counted(half_price_3_months, reader, reader_client):
    body = subscribe_with(reader_client, "HALF3").json()

    redemption = Redemption.objects.get(offer=half_price_3_months, user=reader)
    assert redemption.status == Redemption.Status.REDEEMED
    assert redemption.subscription == Subscription.objects.get(stripe_subscription_id=body["id"])
    assert redemption.with_trial is False
    half_price_3_months.refresh_from_db()
    assert half_price_3_months.times_redeemed == 1
    entry = AuditLog.objects.get(action="offer.redeemed")
    assert entry.reader == reader
    assert entry.after["offer"] == "HALF3"


def test_the_reader_is_mailed_that_the_offer_is_applied_once(
    half_price_3_months, reader, reader_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        subscribe_with(reader_client, "HALF3")

    offer_mails = [m for m in mail.outbox if m.subject == "Your offer is applied"]
    assert len(offer_mails) == 1
    assert offer_mails[0].to == [reader.email]
    assert "HALF3" in offer_mails[0].body
    assert "$4.99 per month instead of $9.99 for 3 months" in offer_mails[0].body.replace("\n", " ")
    from offers.services import offer_applied_notify

    redemption = Redemption.objects.get(user=reader)
    assert offer_applied_notify(redemption_id=redemption.pk) is False  # claimed once
