"""POST /api/billing/webhooks/stripe/: verify, store once, queue after commit, answer fast."""

import json
import time

import pytest

from billing.models import StripeEvent
from tests.billing.webhooks import deliver, event_body, stripe_signature

pytestmark = pytest.mark.django_db

SUB = {"id": "sub_123", "object": "subscription", "customer": "cus_123", "status": "active"}


def test_a_signed_event_is_stored_and_processing_queued_after_commit(
    client, django_capture_on_commit_callbacks, stripe
):
    body = event_body("customer.subscription.updated", SUB, event_id="evt_one")

    with django_capture_on_commit_callbacks() as callbacks:
        response = deliver(client, body)

    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": False}
    event = StripeEvent.objects.get()
    assert (event.id, event.type, event.status) == (
        "evt_one",
        "customer.subscription.updated",
        "received",
    )
    assert event.object_id == "sub_123"
    assert event.payload == json.loads(body)
    assert len(callbacks) == 1
    assert stripe.requests() == []  # no Stripe call inside the request


def test_a_duplicate_delivery_is_200_and_nothing_more(client, django_capture_on_commit_callbacks):
    body = event_body("customer.subscription.updated", SUB, event_id="evt_dup")
    deliver(client, body)

    with django_capture_on_commit_callbacks() as callbacks:
        response = deliver(client, body)

    assert response.status_code == 200
    assert response.json()["duplicate"] is True
    assert callbacks == []
    assert StripeEvent.objects.count() == 1


@pytest.mark.parametrize(
    ("signature", "code"),
    [
        ("", "missing_signature"),
        ("t=1,v1=deadbeef", "invalid_signature"),
        ("garbage", "invalid_signature"),
    ],
)
def test_missing_or_bad_signatures_are_400_with_nothing_stored(
    client, django_capture_on_commit_callbacks, signature, code
):
    body = event_body("customer.subscription.updated", SUB)

    with django_capture_on_commit_callbacks() as callbacks:
        response = deliver(client, body, signature=signature)

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert not StripeEvent.objects.exists()
    assert callbacks == []


def test_a_body_signed_with_another_secret_is_refused(client):
    response = deliver(client, event_body("invoice.paid", {"id": "in_1"}), secret="whsec_other")

    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


def test_a_stale_signature_is_refused(client):
    body = event_body("invoice.paid", {"id": "in_1"})
    old = stripe_signature(body, timestamp=int(time.time()) - 301)

    assert deliver(client, body, signature=old).status_code == 400
    assert not StripeEvent.objects.exists()


def test_a_tampered_body_is_refused(client):
    body = event_body("invoice.paid", {"id": "in_1"})
    header = stripe_signature(body)

    response = deliver(client, body.replace(b"in_1", b"in_2"), signature=header)

    assert response.status_code == 400


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"id": "evt_x"}'])
def test_a_signed_body_that_is_not_an_event_is_refused(client, body):
    response = deliver(client, body)

    assert response.status_code == 400
    assert response.json()["code"] == "malformed_event"
    assert not StripeEvent.objects.exists()


def test_an_oversized_body_is_refused(client, settings):
    settings.STRIPE_WEBHOOK_MAX_BYTES = 1024
    body = event_body("invoice.paid", {"id": "in_1", "padding": "x" * 2000})

    response = deliver(client, body)

    assert response.status_code == 400
    assert response.json()["code"] == "payload_too_large"
    assert not StripeEvent.objects.exists()


def test_during_a_secret_roll_both_secrets_are_accepted(client, settings):
    settings.STRIPE_WEBHOOK_SECRETS = ["whsec_old", "whsec_new"]

    old = deliver(client, event_body("invoice.paid", {"id": "in_1"}), secret="whsec_old")
    new = deliver(client, event_body("invoice.paid", {"id": "in_2"}), secret="whsec_new")

    assert (old.status_code, new.status_code) == (200, 200)
    assert StripeEvent.objects.count() == 2


def test_the_webhook_needs_no_credentials_but_only_accepts_post(client):
    assert client.get("/api/billing/webhooks/stripe/").status_code == 405


@pytest.mark.parametrize("event_id", [12345, "evt_" + "x" * 296, "", None, ["evt_1"]], ids=repr)
def test_a_signed_event_whose_id_is_not_a_short_string_is_refused_at_ingest(
    client, django_capture_on_commit_callbacks, event_id
):
    event = json.loads(event_body("customer.subscription.updated", SUB))
    event["id"] = event_id
    body = json.dumps(event).encode()

    with django_capture_on_commit_callbacks() as callbacks:
        response = deliver(client, body)

    assert response.status_code == 400
    assert response.json()["code"] == "malformed_event"
    assert not StripeEvent.objects.exists()
    assert callbacks == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("type", 7), ("type", "x" * 129), ("created", "yesterday"), ("created", 10**20)],
)
def test_a_signed_event_with_an_impossible_type_or_time_is_refused_at_ingest(client, field, value):
    event = json.loads(event_body("customer.subscription.updated", SUB))
    event[field] = value

    response = deliver(client, json.dumps(event).encode())

    assert response.status_code == 400
    assert response.json()["code"] == "malformed_event"
    assert not StripeEvent.objects.exists()


@pytest.mark.postgres  # jsonb refuses a NUL character; SQLite's JSON text holds it
def test_a_signed_event_the_database_cannot_hold_is_refused_not_a_crash(client):
    body = event_body("customer.subscription.updated", {**SUB, "metadata": {"note": "a\u0000b"}})

    response = deliver(client, body)

    assert response.status_code == 400
    assert response.json()["code"] == "malformed_event"
    assert not StripeEvent.objects.exists()


def test_a_signed_body_nested_past_the_stack_is_refused(client):
    response = deliver(client, b"[" * 100_000)

    assert response.status_code == 400
    assert response.json()["code"] == "malformed_event"
    assert not StripeEvent.objects.exists()
