"""POST /api/billing/subscribe/: pay at once, no trial."""

import pytest

from billing.models import Subscription

pytestmark = pytest.mark.django_db

URL = "/api/billing/subscribe/"


def subscribe(client, payment_method="pm_card_visa", plan="monthly"):
    return client.post(URL, {"plan": plan, "payment_method": payment_method}, format="json")


def test_a_good_card_makes_an_active_paid_subscription(plans, reader, reader_client, stripe_sdk):
    response = subscribe(reader_client)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "active"
    assert body["trial_start"] is None
    assert body["has_unlimited_access"] is True
    invoices = stripe_sdk.v1.invoices.list(
        params={"customer": reader.billing_customer.stripe_customer_id}
    )
    assert [(i.status, i.amount_paid) for i in invoices.data] == [("paid", 999)]


def test_a_card_that_needs_authentication_gives_incomplete_and_a_client_secret(
    plans, reader_client
):
    response = subscribe(reader_client, payment_method="pm_card_authenticationRequired")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "incomplete"
    assert body["client_secret"]
    assert "_secret_" in body["client_secret"]
    assert body["has_unlimited_access"] is False


def test_a_card_declined_at_the_first_charge_is_a_402_and_leaves_nothing_live(
    plans, reader, reader_client, stripe_sdk
):
    response = subscribe(reader_client, payment_method="pm_card_chargeCustomerFail")

    assert response.status_code == 402, response.json()
    assert response.json()["code"] == "card_declined"
    local = Subscription.objects.get(user=reader)
    assert local.status == "canceled"
    assert stripe_sdk.v1.subscriptions.retrieve(local.stripe_subscription_id).status == "canceled"
    # and the reader can try again with another card
    assert subscribe(reader_client, payment_method="pm_card_mastercard").status_code == 201


def test_a_card_refused_on_attach_is_a_402(plans, reader_client):
    response = subscribe(
        reader_client, payment_method="pm_card_visa_chargeDeclinedInsufficientFunds"
    )

    assert response.status_code == 402
    assert "insufficient" in response.json()["detail"].lower()
    assert not Subscription.objects.exists()


def test_subscribe_needs_a_payment_method(plans, reader_client):
    response = reader_client.post(URL, {"plan": "monthly"}, format="json")

    assert response.status_code == 400
    assert "payment_method" in response.json()["fields"]


def test_subscribing_with_a_live_subscription_is_a_409(plans, reader_client):
    subscribe(reader_client)

    response = subscribe(reader_client, plan="yearly")

    assert response.status_code == 409
    assert response.json()["code"] == "subscription_exists"


def test_the_subscription_becomes_live_once_stripe_says_it_is_paid(plans, reader_client, stripe):
    body = subscribe(reader_client, payment_method="pm_card_authenticationRequired").json()
    intent_id = body["client_secret"].split("_secret_")[0]

    stripe.authenticate(intent_id, outcome="succeed")  # what Stripe.js does with the reader
    response = reader_client.get("/api/billing/subscription/")

    assert response.status_code == 200
    assert response.json()["status"] == "active"
    assert response.json()["has_unlimited_access"] is True
    assert response.json()["client_secret"] is None


def test_while_authentication_is_pending_the_client_secret_is_shown_again(plans, reader_client):
    body = subscribe(reader_client, payment_method="pm_card_authenticationRequired").json()

    again = reader_client.get("/api/billing/subscription/").json()

    assert again["status"] == "incomplete"
    assert again["client_secret"] == body["client_secret"]


def test_an_unknown_or_inactive_plan_is_refused_before_any_stripe_call(
    plans, reader_client, stripe
):
    from billing.models import Plan

    Plan.objects.filter(code="yearly").update(active=False)
    writes = len([r for r in stripe.requests() if r["method"] == "POST"])

    inactive = subscribe(reader_client, plan="yearly")
    unknown = reader_client.post("/api/billing/trial/", {"plan": "weekly"}, format="json")

    assert (inactive.status_code, unknown.status_code) == (400, 400)
    assert inactive.json()["code"] == "unknown_plan"
    assert len([r for r in stripe.requests() if r["method"] == "POST"]) == writes
