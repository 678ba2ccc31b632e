"""DELETE /api/auth/user/: the reader leaves; billing and audit records stay, anonymised."""

import pytest
from allauth.account.models import EmailAddress
from rest_framework.authtoken.models import Token

from accounts.models import User
from audit.models import AuditLog
from billing.models import Customer, Subscription, TrialClaim
from tests.factories import DEFAULT_PASSWORD
from tests.helpers.clients import client_for

pytestmark = pytest.mark.django_db


def test_leaving_ends_the_subscription_deletes_the_customer_and_erases_the_reader(
    plans, reader, reader_client, stripe_sdk
):
    trial = reader_client.post("/api/billing/trial/", {"plan": "monthly"}, format="json").json()
    customer_id = reader.billing_customer.stripe_customer_id

    response = reader_client.delete("/api/auth/user/")

    assert response.status_code == 204
    reader.refresh_from_db()
    assert reader.email == f"deleted-{reader.pk}@deleted.invalid"
    assert not reader.is_active
    assert not reader.has_usable_password()
    assert not Token.objects.filter(user=reader).exists()
    assert not EmailAddress.objects.filter(user=reader).exists()
    assert Subscription.objects.get(stripe_subscription_id=trial["id"]).status == "canceled"
    assert stripe_sdk.v1.subscriptions.retrieve(trial["id"]).status == "canceled"
    assert Customer.objects.get(stripe_customer_id=customer_id).deleted_at is not None
    assert AuditLog.objects.filter(reader=reader, action="account.deleted").exists()
    assert AuditLog.objects.filter(reader=reader, action="trial.claimed").exists()
    assert not AuditLog.objects.filter(after__icontains="reader@example.com").exists()
    assert TrialClaim.objects.filter(user=reader).exists()


def test_the_customer_is_deleted_in_stripe(plans, reader, reader_client, stripe_sdk):
    reader_client.post("/api/billing/trial/", {"plan": "monthly"}, format="json")
    customer_id = reader.billing_customer.stripe_customer_id

    reader_client.delete("/api/auth/user/")

    # Stripe answers a deleted customer with a stub marked deleted.
    assert stripe_sdk.v1.customers.retrieve(customer_id).to_dict().get("deleted") is True


def test_the_old_token_and_password_no_longer_work(plans, reader, reader_client, api_client):
    reader_client.delete("/api/auth/user/")

    assert reader_client.get("/api/auth/user/").status_code == 401
    login = api_client.post(
        "/api/auth/login/",
        {"email": "reader@example.com", "password": DEFAULT_PASSWORD},
        format="json",
    )
    assert login.status_code == 400


def test_the_same_mailbox_can_register_again_but_gets_no_second_trial(
    plans, reader_client, api_client
):
    reader_client.post("/api/billing/trial/", {"plan": "monthly"}, format="json")
    reader_client.delete("/api/auth/user/")
    password = "plum-kettle-orbit-47"

    registered = api_client.post(
        "/api/auth/registration/",
        {"email": "reader@example.com", "password1": password, "password2": password},
        format="json",
    )
    again = client_for(User.objects.get(email="reader@example.com")).post(
        "/api/billing/trial/", {"plan": "monthly"}, format="json"
    )

    assert registered.status_code == 201
    assert again.status_code == 409
    assert again.json()["code"] == "trial_already_used"


def test_a_reader_without_billing_can_leave(db, reader, reader_client):
    assert reader_client.delete("/api/auth/user/").status_code == 204
    reader.refresh_from_db()
    assert not reader.is_active


def test_stripe_down_leaves_the_account_untouched(plans, reader, reader_client, stripe):
    reader_client.post("/api/billing/trial/", {"plan": "monthly"}, format="json")
    stripe.fault("500", count=1, path="/v1/customers")

    response = reader_client.delete("/api/auth/user/")

    assert response.status_code == 503
    reader.refresh_from_db()
    assert reader.email == "reader@example.com"
    assert reader.is_active
    assert reader_client.delete("/api/auth/user/").status_code == 204


def test_anonymous_cannot_delete(client):
    assert client.delete("/api/auth/user/").status_code == 401


def test_leaving_erases_the_reading_history(plans, reader, reader_client):
    from entitlements.models import MeteredRead

    reader_client.post("/api/entitlements/articles/politics-2026-11-25/read/")
    assert MeteredRead.objects.filter(meter__user=reader).exists()

    reader_client.delete("/api/auth/user/")

    assert not MeteredRead.objects.filter(meter__user=reader).exists()
