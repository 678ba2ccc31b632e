"""Cancel anytime, resume before the end, change plan, see the subscription and invoices."""

import pytest

from audit.models import AuditLog
from billing.models import Subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def trialing(plans, reader_client):
    response = reader_client.post("/api/billing/trial/", {"plan": "monthly"}, format="json")
    assert response.status_code == 201
    return response.json()


def cancel(client, **body):
    return client.post(
        "/api/billing/subscription/cancel/", {"reason": "other", **body}, format="json"
    )


def resume(client):
    return client.post("/api/billing/subscription/resume/")


def test_no_subscription_yet_is_a_404(plans, reader_client):
    response = reader_client.get("/api/billing/subscription/")

    assert response.status_code == 404
    assert response.json()["code"] == "no_subscription"


def test_the_current_subscription_is_shown(trialing, reader_client):
    response = reader_client.get("/api/billing/subscription/")

    assert response.status_code == 200
    assert response.json() == trialing


def test_cancel_at_period_end_keeps_access_until_the_end(
    trialing, reader, reader_client, stripe_sdk
):
    response = cancel(reader_client, at_period_end=True)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "trialing"
    assert body["cancel_at_period_end"] is True
    assert body["has_unlimited_access"] is True
    assert body["canceled_at"] is not None
    assert stripe_sdk.v1.subscriptions.retrieve(trialing["id"]).cancel_at_period_end is True
    entry = AuditLog.objects.get(action="subscription.cancel_requested")
    assert entry.before["cancel_at_period_end"] is False
    assert entry.after["cancel_at_period_end"] is True
    assert entry.actor_user == reader


def test_cancel_defaults_to_the_period_end(trialing, reader_client):
    assert cancel(reader_client).json()["cancel_at_period_end"] is True


def test_cancelling_twice_changes_nothing_more(trialing, reader_client, stripe):
    cancel(reader_client)
    writes = len([r for r in stripe.requests() if r["method"] == "POST"])

    response = cancel(reader_client)

    assert response.status_code == 200
    assert len([r for r in stripe.requests() if r["method"] == "POST"]) == writes


def test_resume_undoes_a_pending_cancellation(trialing, reader_client, stripe_sdk):
    cancel(reader_client)

    response = resume(reader_client)

    assert response.status_code == 200
    assert response.json()["cancel_at_period_end"] is False
    assert stripe_sdk.v1.subscriptions.retrieve(trialing["id"]).cancel_at_period_end is False
    assert AuditLog.objects.filter(action="subscription.cancel_undone").exists()


def test_resume_without_a_pending_cancellation_is_a_409(trialing, reader_client):
    response = resume(reader_client)

    assert response.status_code == 409
    assert response.json()["code"] == "not_cancelling"


def test_cancel_now_ends_access_at_once(trialing, reader, reader_client, stripe_sdk):
    response = cancel(reader_client, at_period_end=False)

    body = response.json()
    assert body["status"] == "canceled"
    assert body["has_unlimited_access"] is False
    assert body["ended_at"] is not None
    assert stripe_sdk.v1.subscriptions.retrieve(trialing["id"]).status == "canceled"
    assert resume(reader_client).json()["code"] == "no_subscription"
    assert reader_client.get("/api/billing/subscription/").json()["status"] == "canceled"


def test_cancel_without_a_subscription_is_a_409(plans, reader_client):
    response = cancel(reader_client)

    assert response.status_code == 409
    assert response.json()["code"] == "no_subscription"


def test_cancel_rejects_a_non_boolean(trialing, reader_client):
    response = cancel(reader_client, at_period_end="sometimes")

    assert response.status_code == 400
    assert "at_period_end" in response.json()["fields"]


def test_change_plan_moves_the_subscription_to_the_new_price(
    trialing, plans, reader_client, stripe_sdk
):
    response = reader_client.post(
        "/api/billing/subscription/change-plan/", {"plan": "yearly"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["plan"] == "yearly"
    assert response.json()["status"] == "trialing"
    remote = stripe_sdk.v1.subscriptions.retrieve(trialing["id"])
    assert remote["items"].data[0].price.id == plans["yearly"].stripe_price_id
    assert len(remote["items"].data) == 1
    assert Subscription.objects.get().plan.code == "yearly"


def test_change_to_the_same_plan_is_a_409(trialing, reader_client):
    response = reader_client.post(
        "/api/billing/subscription/change-plan/", {"plan": "monthly"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "same_plan"


def test_invoices_are_listed_from_stripe_with_a_cursor(plans, reader_client):
    reader_client.post(
        "/api/billing/subscribe/",
        {"plan": "monthly", "payment_method": "pm_card_visa"},
        format="json",
    )

    response = reader_client.get("/api/billing/invoices/")

    assert response.status_code == 200
    body = response.json()
    assert body["next"] is None
    [invoice] = body["results"]
    assert invoice["amount_paid"] == 999
    assert invoice["currency"] == "usd"
    assert invoice["status"] == "paid"
    assert invoice["number"]
    assert invoice["period_start"].endswith("Z") or "+00:00" in invoice["period_start"]


def test_a_malformed_invoice_cursor_is_a_400(plans, reader_client):
    response = reader_client.get("/api/billing/invoices/?cursor=drop table")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


def test_a_reader_without_a_customer_has_no_invoices(plans, reader_client):
    assert reader_client.get("/api/billing/invoices/").json() == {"results": [], "next": None}


def test_setup_intent_gives_a_client_secret(plans, reader_client):
    response = reader_client.post("/api/billing/setup-intent/")

    assert response.status_code == 200
    assert response.json()["client_secret"].startswith("seti_")


def test_a_new_card_becomes_the_default(trialing, reader, reader_client, stripe_sdk):
    response = reader_client.post(
        "/api/billing/payment-method/", {"payment_method": "pm_card_mastercard"}, format="json"
    )

    assert response.status_code == 200
    remote = stripe_sdk.v1.subscriptions.retrieve(trialing["id"])
    assert remote.default_payment_method
    customer = stripe_sdk.v1.customers.retrieve(remote.customer)
    assert customer.invoice_settings.default_payment_method == remote.default_payment_method


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/billing/subscription/"),
        ("post", "/api/billing/subscription/cancel/"),
        ("post", "/api/billing/subscription/resume/"),
        ("post", "/api/billing/subscription/change-plan/"),
        ("post", "/api/billing/subscribe/"),
        ("post", "/api/billing/payment-method/"),
        ("post", "/api/billing/setup-intent/"),
        ("get", "/api/billing/invoices/"),
    ],
)
def test_every_reader_endpoint_needs_credentials(client, method, path):
    assert getattr(client, method)(path).status_code == 401


def test_a_reader_never_sees_another_readers_subscription(trialing, plans):
    from tests.factories import UserFactory
    from tests.helpers.clients import client_for

    other = client_for(UserFactory())

    assert other.get("/api/billing/subscription/").status_code == 404
    assert cancel(other).status_code == 409
    assert other.get("/api/billing/invoices/").json()["results"] == []


def test_a_trial_paused_for_want_of_a_card_resumes_when_one_is_added(
    plans, reader, reader_client, stripe_sdk, settings
):
    settings.TRIAL_END_WITHOUT_CARD = "pause"
    trial = reader_client.post("/api/billing/trial/", {"plan": "monthly"}, format="json").json()
    # The trial ends with no card: Stripe pauses the subscription.
    stripe_sdk.v1.subscriptions.update(trial["id"], params={"trial_end": "now"})
    from billing.services import Actor, Audit, subscription_sync_from_stripe

    paused = subscription_sync_from_stripe(
        stripe_subscription_id=trial["id"], audit=Audit(Actor.STRIPE)
    )
    assert paused.status == "paused"
    assert reader_client.post("/api/billing/subscription/resume/").json()["code"] == (
        "payment_method_required"
    )

    response = reader_client.post(
        "/api/billing/payment-method/", {"payment_method": "pm_card_visa"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "active"
    assert stripe_sdk.v1.subscriptions.retrieve(trial["id"]).status == "active"
    assert Subscription.objects.get().status == "active"
