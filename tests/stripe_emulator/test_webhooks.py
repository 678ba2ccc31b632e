"""Signed webhook delivery: retries with back-off, endpoints' enabled_events, flush,
reset, and the process flags (--webhook-url, --state) across a restart."""

from __future__ import annotations

import socket
import time

import pytest
import stripe  # noqa: TID251 - the emulator is tested through the official SDK

from tests.helpers.stripe_emulator import DAY, HOUR, Process
from tests.stripe_emulator.receiver import Receiver


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_receiver_failing_twice_gets_the_event_a_third_time(
    stripe_emulator, stripe_client, receiver
):
    receiver.fail("customer.created", 2)
    customer = stripe_client.v1.customers.create(params={"email": "r@example.com"})
    result = stripe_emulator.flush(retries=True)
    assert result["pending"] == 0
    customer_created = _event_id(stripe_client, "customer.created")
    assert receiver.ids(customer_created) == 3
    attempts = [a for a in stripe_emulator.webhook_attempts() if a["event"] == customer_created]
    assert [(a["attempt"], a["status"], a["ok"]) for a in attempts] == [
        (1, 500, False),
        (2, 500, False),
        (3, 200, True),
    ]
    assert [e.data.object.id for e in receiver.take()] == [customer.id]
    assert receiver.rejected == []
    assert stripe_client.v1.events.retrieve(customer_created).pending_webhooks == 0


def _event_id(client, event_type: str) -> str:
    return client.v1.events.list(params={"type": event_type}).data[0].id


def test_an_endpoint_that_is_down_is_retried_until_it_comes_up(stripe_emulator, stripe_client):
    stripe_emulator.settings(webhook_retry_schedule=[0.3, 0.3, 5])
    port = free_port()
    rec_url = f"http://127.0.0.1:{port}/webhooks/stripe"
    stripe_emulator.register_webhook(rec_url, "whsec_receiver_test_secret")
    stripe_client.v1.customers.create(params={"email": "down@example.com"})
    first = stripe_emulator.flush()  # the first attempt is made, and refused
    assert (first["pending"], first["attempts"], first["delivered"]) == (1, 1, 0)
    receiver = Receiver(port=port)
    try:
        result = stripe_emulator.flush(retries=True)
        assert (result["pending"], result["delivered"]) == (0, 1)
        assert [e.type for e in receiver.take()] == ["customer.created"]
        attempts = stripe_emulator.webhook_attempts()
        assert attempts[0]["status"] is None
        assert "Connection" in attempts[0]["error"]
        assert attempts[-1]["ok"] is True
    finally:
        receiver.stop()


def test_delivery_gives_up_after_the_retry_schedule(stripe_emulator, stripe_client):
    stripe_emulator.register_webhook(f"http://127.0.0.1:{free_port()}/x", "whsec_x")
    stripe_client.v1.customers.create()
    result = stripe_emulator.flush(retries=True)
    assert (result["attempts"], result["delivered"], result["failed"]) == (4, 0, 1)
    assert [a["retry_in"] for a in stripe_emulator.webhook_attempts()] == [0.05, 0.1, 0.2, None]
    event = stripe_client.v1.events.list().data[0]
    assert event.pending_webhooks == 0


def test_flush_does_not_wait_for_retries_not_yet_due(stripe_emulator, stripe_client, receiver):
    stripe_emulator.settings(webhook_retry_schedule=[30])
    receiver.fail("customer.created", 1)
    stripe_client.v1.customers.create()
    started = time.monotonic()
    result = stripe_emulator.flush()
    assert time.monotonic() - started < 5
    assert (result["pending"], result["attempts"]) == (1, 1)
    assert stripe_emulator.pending_webhooks()[0]["type"] == "customer.created"


def test_reset_forgets_endpoints_and_pending_deliveries(stripe_emulator, stripe_client, receiver):
    stripe_emulator.settings(webhook_retry_schedule=[30])
    receiver.fail("customer.created", 1)
    stripe_client.v1.customers.create()
    stripe_emulator.flush()
    assert len(stripe_emulator.pending_webhooks()) == 1
    stripe_emulator.reset()
    assert stripe_emulator.pending_webhooks() == []
    assert stripe_emulator.webhook_attempts() == []
    assert stripe_emulator.settings()["webhook_retry_schedule"] == [0.05, 0.1, 0.2]
    assert stripe_client.v1.webhook_endpoints.list().data == []
    stripe_client.v1.customers.create()
    assert stripe_emulator.flush()["attempts"] == 0


def test_only_enabled_events_are_sent(stripe_emulator, stripe_client, price):
    receiver = Receiver()
    try:
        endpoint = stripe_emulator.register_webhook(
            receiver.url, receiver.secret, events=["invoice.paid"]
        )
        assert endpoint["secret"] == receiver.secret
        customer = stripe_client.v1.customers.create(
            params={
                "payment_method": "pm_card_visa",
                "invoice_settings": {"default_payment_method": "pm_card_visa"},
            }
        )
        stripe_client.v1.subscriptions.create(
            params={"customer": customer.id, "items": [{"price": price.id}]}
        )
        stripe_emulator.flush()
        assert [e.type for e in receiver.take()] == ["invoice.paid"]
    finally:
        receiver.stop()


def test_endpoints_created_through_the_api_sign_with_their_secret(stripe_emulator, stripe_client):
    receiver = Receiver()
    try:
        endpoint = stripe_client.v1.webhook_endpoints.create(
            params={"url": receiver.url, "enabled_events": ["customer.created"]}
        )
        receiver.secret = endpoint.secret
        stripe_client.v1.customers.create()
        stripe_emulator.flush()
        assert [e.type for e in receiver.take()] == ["customer.created"]
        assert receiver.rejected == []
    finally:
        receiver.stop()


def test_the_demo_survives_a_restart(tmp_path):
    """--webhook-url/--webhook-secret and --state: a trial started before a restart
    converts after it, on the clock as it was, and is delivered to the same endpoint."""
    receiver = Receiver()
    state = tmp_path / "stripe.json"
    flags = ["--state", str(state), "--webhook-url", receiver.url]
    flags += ["--webhook-secret", receiver.secret, "--webhook-retries", "0.05,0.1"]
    first = Process(*flags)
    try:
        client = first.client()
        customer = client.v1.customers.create(
            params={
                "payment_method": "pm_card_visa",
                "invoice_settings": {"default_payment_method": "pm_card_visa"},
            }
        )
        product = client.v1.products.create(params={"name": "Gold"})
        price = client.v1.prices.create(
            params={
                "product": product.id,
                "currency": "usd",
                "unit_amount": 999,
                "recurring": {"interval": "month"},
            }
        )
        sub = client.v1.subscriptions.create(
            params={
                "customer": customer.id,
                "items": [{"price": price.id}],
                "trial_period_days": 30,
            }
        )
        first_clock = _control(first.url, "POST", "/_emulator/clock/advance", {"seconds": 10 * DAY})
        _control(first.url, "POST", "/_emulator/webhooks/flush", {})
    finally:
        assert first.stop() == 0
    before = {e.type for e in receiver.take()}
    assert "customer.subscription.created" in before
    second = Process(*flags)
    try:
        client = second.client()
        assert len(client.v1.webhook_endpoints.list().data) == 1  # not registered twice
        now = _control(second.url, "GET", "/_emulator/clock")["now"]
        assert now >= first_clock["now"]
        assert now - first_clock["now"] < 60
        _control(second.url, "POST", "/_emulator/clock/advance", {"to": sub.trial_end + HOUR})
        _control(second.url, "POST", "/_emulator/webhooks/flush", {})
        after = client.v1.subscriptions.retrieve(sub.id, params={"expand": ["latest_invoice"]})
        assert (after.status, after.latest_invoice.status) == ("active", "paid")
        types = {e.type for e in receiver.take()}
        assert {"customer.subscription.trial_will_end", "invoice.paid"} <= types
        assert receiver.rejected == []
    finally:
        assert second.stop() == 0
        receiver.stop()


def _control(url: str, method: str, path: str, body: dict | None = None):
    import json
    import urllib.request

    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + path, data=data, method=method)  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read())


def test_verification_fails_for_a_tampered_payload(stripe_emulator, stripe_client, receiver):
    stripe_client.v1.customers.create(params={"email": "a@example.com"})
    stripe_emulator.flush()
    delivery = receiver.deliveries[-1]
    tampered = '{"id": "evt_forged"}'
    try:
        stripe.Webhook.construct_event(tampered, delivery["header"], receiver.secret)
    except stripe.SignatureVerificationError:
        pass
    else:
        raise AssertionError("a tampered payload passed verification")


def test_pending_deliveries_survive_a_restart(tmp_path):
    from stripe_emulator.pytest_plugin import EmulatorHandle
    from stripe_emulator.server import EmulatorServer

    state = str(tmp_path / "stripe.json")
    port = free_port()
    first = EmulatorServer("127.0.0.1", 0, state_path=state, webhook_retry_schedule=(30,))
    first.start()
    try:
        handle = EmulatorHandle(first)
        handle.register_webhook(f"http://127.0.0.1:{port}/hook", "whsec_receiver_test_secret")
        customer = handle.client().v1.customers.create()
        assert handle.flush()["pending"] == 1  # refused, a retry waits 30 s
    finally:
        first.stop()
    receiver = Receiver(port=port)
    second = EmulatorServer("127.0.0.1", 0, state_path=state, webhook_retry_schedule=(30,))
    second.start()
    try:
        result = EmulatorHandle(second).flush()
        assert (result["pending"], result["delivered"]) == (0, 1)
        assert [e.data.object.id for e in receiver.take()] == [customer.id]
    finally:
        second.stop()
        receiver.stop()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/_emulator/clock/advance", {"seconds": -5}),
        ("/_emulator/clock/advance", {"seconds": "soon"}),
        ("/_emulator/webhooks/flush", {"timeout": 0}),
        ("/_emulator/settings", {"after_retries": "forgiven"}),
        ("/_emulator/settings", {"payment_retry_days": [-1]}),
        ("/_emulator/settings", {"smart_retries": True}),
        ("/_emulator/webhooks/endpoints", {"url": "http://x", "secret": "nope"}),
    ],
)
def test_control_calls_refuse_bad_input(stripe_emulator, path, body):
    from stripe_emulator.pytest_plugin import ControlError

    with pytest.raises(ControlError) as err:
        stripe_emulator.control("POST", path, body)
    assert err.value.status == 400
    assert stripe_emulator.settings()["after_retries"] == "canceled"


def test_nothing_more_is_sent_to_a_deleted_endpoint(stripe_emulator, stripe_client):
    stripe_emulator.settings(webhook_retry_schedule=[0.3, 0.3])
    endpoint = stripe_emulator.register_webhook(f"http://127.0.0.1:{free_port()}/x", "whsec_x")
    stripe_client.v1.customers.create()
    assert stripe_emulator.flush()["attempts"] == 1
    stripe_client.v1.webhook_endpoints.delete(endpoint["id"])
    result = stripe_emulator.flush(retries=True)
    assert (result["pending"], result["attempts"]) == (0, 1)
