"""POST /api/billing/trial/: one 30-day free trial per reader, card optional."""

from datetime import timedelta

import pytest

from audit.models import AuditLog
from billing.models import StripeAttempt, Subscription, TrialClaim
from tests.factories import UserFactory
from tests.helpers.clients import client_for

pytestmark = pytest.mark.django_db

URL = "/api/billing/trial/"


def start_trial(client, plan="monthly", payment_method=None):
    body = {"plan": plan}
    if payment_method is not None:
        body["payment_method"] = payment_method
    return client.post(URL, body, format="json")


def test_a_trial_without_a_card_starts_trialing_for_thirty_days(
    plans, reader, reader_client, stripe
):
    response = start_trial(reader_client)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "trialing"
    assert body["plan"] == "monthly"
    assert body["has_unlimited_access"] is True
    assert body["cancel_at_period_end"] is False
    assert body["client_secret"] is None
    local = Subscription.objects.get(user=reader)
    assert body["id"] == local.stripe_subscription_id
    assert local.trial_end - local.trial_start == timedelta(days=30)
    assert local.current_period_end == local.trial_end


def test_the_trial_is_real_in_stripe(plans, reader, reader_client, stripe_sdk):
    body = start_trial(reader_client).json()

    remote = stripe_sdk.v1.subscriptions.retrieve(body["id"])
    assert remote.status == "trialing"
    assert remote["items"].data[0].price.id == plans["monthly"].stripe_price_id
    assert remote.trial_settings.end_behavior.missing_payment_method == "cancel"
    assert remote.metadata["user_id"] == str(reader.pk)
    customer = stripe_sdk.v1.customers.retrieve(remote.customer)
    assert customer.email == "reader@example.com"


def test_a_trial_with_a_card_records_its_fingerprint(plans, reader, reader_client, stripe_sdk):
    body = start_trial(reader_client, payment_method="pm_card_visa").json()

    claim = TrialClaim.objects.get(user=reader)
    assert claim.card_fingerprint
    remote = stripe_sdk.v1.subscriptions.retrieve(body["id"])
    assert remote.default_payment_method
    customer = stripe_sdk.v1.customers.retrieve(remote.customer)
    assert customer.invoice_settings.default_payment_method == remote.default_payment_method


def test_starting_a_trial_is_audited_once_with_the_reader_as_actor(plans, reader, reader_client):
    start_trial(reader_client)

    entries = AuditLog.objects.filter(reader=reader).exclude(action="customer.created")
    [claimed] = entries
    assert claimed.action == "trial.claimed"
    assert claimed.actor_type == "reader"
    assert claimed.actor_user == reader
    assert claimed.before is None
    assert claimed.after["status"] == "trialing"
    assert claimed.after["trial_days"] == 30


def test_a_second_trial_is_refused_even_after_cancelling(plans, reader, reader_client):
    start_trial(reader_client)
    reader_client.post(
        "/api/billing/subscription/cancel/",
        {"at_period_end": False, "reason": "other"},
        format="json",
    )

    response = start_trial(reader_client, plan="yearly")

    assert response.status_code == 409
    assert response.json()["code"] == "trial_already_used"


def test_a_reader_with_a_live_subscription_is_told_so(plans, reader_client):
    start_trial(reader_client)

    response = start_trial(reader_client)

    assert response.status_code == 409
    assert response.json()["code"] == "subscription_exists"
    assert Subscription.objects.count() == 1


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("jane.doe@gmail.com", "JaneDoe+news@googlemail.com"),
        ("sam@example.com", "Sam+trial2@Example.com"),
    ],
)
def test_another_account_on_the_same_mailbox_gets_no_second_trial(plans, first, second):
    assert start_trial(client_for(UserFactory(email=first))).status_code == 201

    response = start_trial(client_for(UserFactory(email=second.lower())))

    assert response.status_code == 409
    assert response.json()["code"] == "trial_already_used"


def test_the_same_card_on_another_account_gets_no_second_trial(plans):
    assert start_trial(client_for(UserFactory()), payment_method="pm_card_visa").status_code == 201

    response = start_trial(client_for(UserFactory()), payment_method="pm_card_visa")

    assert response.status_code == 409
    assert response.json()["code"] == "trial_already_used"
    assert Subscription.objects.count() == 1


def test_a_card_refused_for_a_second_trial_is_detached_and_never_the_default(
    plans, reader, reader_client, stripe_sdk
):
    assert start_trial(client_for(UserFactory()), payment_method="pm_card_visa").status_code == 201

    response = start_trial(reader_client, payment_method="pm_card_visa")

    assert response.status_code == 409
    assert response.json()["code"] == "trial_already_used"
    customer = reader.billing_customer
    assert customer.default_payment_method_id == ""
    remote = stripe_sdk.v1.customers.retrieve(customer.stripe_customer_id)
    assert remote.invoice_settings.default_payment_method is None
    cards = stripe_sdk.v1.payment_methods.list(
        params={"customer": customer.stripe_customer_id, "type": "card"}
    )
    assert cards.data == []
    assert not TrialClaim.objects.filter(user=reader).exists()
    # Another card still gets the trial, and only that card is kept.
    assert start_trial(reader_client, payment_method="pm_card_mastercard").status_code == 201
    remote = stripe_sdk.v1.customers.retrieve(customer.stripe_customer_id)
    [card] = stripe_sdk.v1.payment_methods.list(
        params={"customer": customer.stripe_customer_id, "type": "card"}
    ).data
    assert card.card.brand == "mastercard"
    assert remote.invoice_settings.default_payment_method == card.id


def test_a_declined_card_is_a_402_with_stripes_message(plans, reader, reader_client):
    response = start_trial(reader_client, payment_method="pm_card_visa_chargeDeclined")

    assert response.status_code == 402
    body = response.json()
    assert body["code"] == "card_declined"
    assert "declined" in body["detail"].lower()
    assert not Subscription.objects.exists()
    assert not TrialClaim.objects.exists()
    # the refused attempt does not block the next try with another card
    assert start_trial(reader_client, payment_method="pm_card_mastercard").status_code == 201


def test_an_unknown_plan_is_a_400_naming_the_field(plans, reader_client):
    response = start_trial(reader_client, plan="weekly")

    assert response.status_code == 400
    assert response.json()["code"] == "unknown_plan"
    assert "plan" in response.json()["fields"]


@pytest.mark.parametrize("payment_method", ["4242424242424242", "tok_visa", "pm_<script>"])
def test_anything_but_a_payment_method_id_is_refused(plans, reader_client, payment_method):
    response = start_trial(reader_client, payment_method=payment_method)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_payment_method"


def test_missing_plan_is_a_400(plans, reader_client):
    response = reader_client.post(URL, {}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"]["plan"] == ["This field is required."]


def test_anonymous_callers_get_401(plans, client):
    assert client.post(URL, {"plan": "monthly"}).status_code == 401


def test_stripe_down_is_a_503_and_the_retry_reuses_the_same_key(
    plans, reader, reader_client, stripe
):
    stripe.fault("500", count=1, path="/v1/subscriptions")

    failed = start_trial(reader_client)
    retried = start_trial(reader_client)

    assert failed.status_code == 503
    assert failed.json()["code"] == "stripe_unavailable"
    assert retried.status_code == 201
    creates = [
        r for r in stripe.requests() if r["method"] == "POST" and r["path"] == "/v1/subscriptions"
    ]
    assert len(creates) == 2
    assert creates[0]["idempotency_key"] == creates[1]["idempotency_key"]
    assert StripeAttempt.objects.get(operation="subscription.create").status == "succeeded"


def test_a_lost_answer_then_a_retry_creates_one_subscription(
    plans, reader, reader_client, stripe, stripe_sdk
):
    # Stripe creates the subscription, then the connection drops before we hear back.
    stripe.fault("drop_after", count=1, path="/v1/subscriptions")

    lost = start_trial(reader_client)
    retried = start_trial(reader_client)

    assert lost.status_code == 503
    assert retried.status_code == 201
    customer = reader.billing_customer.stripe_customer_id
    remote = stripe_sdk.v1.subscriptions.list(params={"customer": customer, "status": "all"})
    assert len(remote.data) == 1
    assert remote.data[0].id == retried.json()["id"]


def test_after_a_lost_answer_a_different_request_finds_the_subscription_stripe_made(
    plans, reader, reader_client, stripe, stripe_sdk
):
    stripe.fault("drop_after", count=1, path="/v1/subscriptions")
    assert start_trial(reader_client).status_code == 503
    # The lost request's hold on its key has lapsed (its lease is over).
    StripeAttempt.objects.filter(operation="subscription.create").update(
        held_until=StripeAttempt.objects.get(operation="subscription.create").held_until
        - timedelta(minutes=5)
    )

    response = start_trial(reader_client, plan="yearly")

    assert response.status_code == 409
    assert response.json()["code"] == "subscription_exists"
    assert Subscription.objects.get(user=reader).status == "trialing"
    customer = reader.billing_customer.stripe_customer_id
    assert len(stripe_sdk.v1.subscriptions.list(params={"customer": customer}).data) == 1


def test_a_different_request_while_one_is_in_flight_is_a_409(plans, reader, reader_client, stripe):
    stripe.fault("drop_after", count=1, path="/v1/subscriptions")
    assert start_trial(reader_client).status_code == 503

    response = start_trial(reader_client, plan="yearly")

    assert response.status_code == 409
    assert response.json()["code"] == "operation_in_progress"
