"""Requests run concurrently, as at Stripe: a key in flight, object locks, lock timeouts.

A `hold` fault keeps a request in flight (key registered, customer locked) so
that another request, sent from another thread, meets it.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import stripe  # noqa: TID251 - the emulator is tested through the official SDK

from stripe_emulator.pytest_plugin import ControlError


def wait_in_flight(stripe_emulator, key: str) -> None:
    """Until the request sent with `key` (from another thread) is executing."""
    idempotency = stripe_emulator.server.emulator.idempotency
    deadline = time.monotonic() + 10
    while key not in idempotency.in_flight():
        assert time.monotonic() < deadline, f"{key} never reached the emulator"
        time.sleep(0.01)


@pytest.fixture
def pool():
    with ThreadPoolExecutor(max_workers=64) as executor:
        yield executor


def requests_with_key(stripe_emulator, key):
    return [r for r in stripe_emulator.requests() if r["idempotency_key"] == key]


# https://docs.stripe.com/api/idempotent_requests ("the request conflicts with another
# request that's executing concurrently ... we don't save the idempotent result");
# https://docs.stripe.com/error-codes#idempotency-key-in-use;
# https://docs.stripe.com/error-low-level#status-codes (409 Conflict)
def test_the_same_key_while_its_request_runs_answers_409_at_once_then_replays(
    stripe_emulator, stripe_client, pool
):
    stripe_emulator.fault("hold", path="/v1/customers", delay_ms=1500)
    options = {"idempotency_key": "double-click"}
    params = {"email": "first@example.com"}
    first = pool.submit(stripe_client.v1.customers.create, params=params, options=options)
    wait_in_flight(stripe_emulator, "double-click")

    started = time.monotonic()
    with pytest.raises(stripe.APIError) as refused:
        stripe_client.v1.customers.create(params=params, options=options)

    assert time.monotonic() - started < 0.5  # answered at once, not after the first
    assert refused.value.http_status == 409
    assert refused.value.error.type == "idempotency_error"
    assert refused.value.error.code == "idempotency_key_in_use"
    assert "double-click" in refused.value.error.message
    assert "Stripe-Should-Retry" not in refused.value.headers  # the SDKs retry a 409 by status
    created = first.result()
    replay = stripe_client.v1.customers.create(params=params, options=options)
    assert replay.id == created.id
    assert replay.last_response.headers["Idempotent-Replayed"] == "true"
    assert [r["status"] for r in requests_with_key(stripe_emulator, "double-click")] == [
        409,
        200,
        200,
    ]
    assert [c.id for c in stripe_client.v1.customers.list().data] == [created.id]


# https://docs.stripe.com/error-low-level#idempotency; the SDK retries 409s (_should_retry)
def test_the_sdk_retries_after_the_409_and_ends_with_the_one_object(stripe_emulator, pool):
    client = stripe_emulator.client(max_network_retries=2)
    # Held 0.7 s: the SDK's second retry comes at least 1 s after the first 409.
    stripe_emulator.fault("hold", path="/v1/customers", delay_ms=700)
    options = {"idempotency_key": "retried"}
    params = {"email": "retry@example.com"}
    first = pool.submit(client.v1.customers.create, params=params, options=options)
    wait_in_flight(stripe_emulator, "retried")

    second = client.v1.customers.create(params=params, options=options)

    assert second.id == first.result().id
    statuses = [r["status"] for r in requests_with_key(stripe_emulator, "retried")]
    assert statuses[0] == 409  # the first try met the first request in flight
    assert statuses[-1] == 200  # a retry got its replay
    assert requests_with_key(stripe_emulator, "retried")[-1].get("replayed") is True
    assert len(client.v1.customers.list().data) == 1


# https://docs.stripe.com/api/idempotent_requests ("compares incoming parameters")
def test_the_same_key_with_other_parameters_in_flight_is_an_idempotency_error(
    stripe_emulator, stripe_client, pool
):
    stripe_emulator.fault("hold", path="/v1/customers", delay_ms=1000)
    options = {"idempotency_key": "k"}
    first = pool.submit(
        stripe_client.v1.customers.create, params={"email": "a@example.com"}, options=options
    )
    wait_in_flight(stripe_emulator, "k")

    with pytest.raises(stripe.IdempotencyError) as refused:
        stripe_client.v1.customers.create(params={"email": "b@example.com"}, options=options)

    assert refused.value.http_status == 400
    assert first.result().email == "a@example.com"


# https://docs.stripe.com/rate-limits#object-lock-timeouts;
# https://docs.stripe.com/error-codes#lock-timeout;
# https://docs.stripe.com/error-low-level#the-stripe-should-retry-header
def test_a_second_write_to_a_busy_customer_gets_429_lock_timeout_after_the_timeout(
    stripe_emulator, stripe_client, pool
):
    customer = stripe_client.v1.customers.create(params={"email": "busy@example.com"})
    stripe_emulator.settings(lock_timeout_seconds=0.4)
    stripe_emulator.fault("hold", path=f"/v1/customers/{customer.id}", delay_ms=2500)
    first = pool.submit(
        stripe_client.v1.customers.update,
        customer.id,
        params={"metadata": {"first": "1"}},
        options={"idempotency_key": "held"},
    )
    wait_in_flight(stripe_emulator, "held")

    started = time.monotonic()
    with pytest.raises(stripe.RateLimitError) as refused:
        stripe_client.v1.customers.update(
            customer.id, params={"metadata": {"second": "1"}}, options={"idempotency_key": "2nd"}
        )
    waited = time.monotonic() - started

    assert 0.4 <= waited < 1.5
    assert refused.value.http_status == 429
    assert refused.value.error.code == "lock_timeout"  # the SDK leaves .code unset on 429s
    assert refused.value.error.type == "invalid_request_error"
    assert refused.value.error.message.startswith("This object cannot be accessed right now")
    assert refused.value.headers["Stripe-Should-Retry"] == "true"
    assert first.result().metadata.to_dict() == {"first": "1"}
    # Nothing ran and nothing was stored under its key: the same request again runs now.
    again = stripe_client.v1.customers.update(
        customer.id, params={"metadata": {"second": "1"}}, options={"idempotency_key": "2nd"}
    )
    assert again.metadata.to_dict() == {"first": "1", "second": "1"}
    assert "Idempotent-Replayed" not in again.last_response.headers


# https://docs.stripe.com/rate-limits#object-lock-timeouts (the SDKs retry lock timeouts);
# a write to a customer's subscription locks the customer (the path's object's customer)
def test_the_sdk_retries_a_lock_timeout_until_the_customer_is_free(
    stripe_emulator, stripe_client, price, pool
):
    customer = stripe_client.v1.customers.create(params={"email": "sub@example.com"})
    subscription = stripe_client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}], "trial_period_days": 30}
    )
    stripe_emulator.settings(lock_timeout_seconds=0.5)
    stripe_emulator.fault("hold", path=f"/v1/customers/{customer.id}", delay_ms=1200)
    first = pool.submit(
        stripe_client.v1.customers.update,
        customer.id,
        params={"metadata": {"a": "1"}},
        options={"idempotency_key": "held"},
    )
    wait_in_flight(stripe_emulator, "held")

    retrying = stripe_emulator.client(max_network_retries=2)
    updated = retrying.v1.subscriptions.update(
        subscription.id, params={"metadata": {"b": "1"}}, options={"idempotency_key": "sub-b"}
    )

    assert updated.metadata.to_dict() == {"b": "1"}
    assert first.result().metadata.to_dict() == {"a": "1"}
    statuses = [r["status"] for r in requests_with_key(stripe_emulator, "sub-b")]
    assert statuses[0] == 429
    assert statuses[-1] == 200


# https://docs.stripe.com/rate-limits#object-lock-timeouts ("Concurrent operations against
# the API are still okay, but try to make sure simultaneous operations operate only on
# unique objects"): locks are per customer, and reads take none
def test_writes_to_two_customers_run_side_by_side(stripe_emulator, stripe_client, pool):
    held = stripe_client.v1.customers.create(params={"email": "held@example.com"})
    other = stripe_client.v1.customers.create(params={"email": "other@example.com"})
    stripe_emulator.fault("hold", path=f"/v1/customers/{held.id}", delay_ms=2000)
    first = pool.submit(
        stripe_client.v1.customers.update,
        held.id,
        params={"name": "Held"},
        options={"idempotency_key": "held"},
    )
    wait_in_flight(stripe_emulator, "held")

    started = time.monotonic()
    updated = stripe_client.v1.customers.update(other.id, params={"name": "Other"})
    read = stripe_client.v1.customers.retrieve(held.id)
    created = stripe_client.v1.customers.create(params={"email": "new@example.com"})
    elapsed = time.monotonic() - started

    assert elapsed < 0.5  # not delayed by the held request
    assert not first.done()  # which is still in flight: they overlapped
    assert updated.name == "Other"
    assert created.id not in (held.id, other.id)
    assert read.name is None  # the held update has not executed yet
    assert first.result().name == "Held"


# stripe_emulator/README.md, control API: the lock_timeout fault;
# https://docs.stripe.com/rate-limits#object-lock-timeouts
def test_the_lock_timeout_fault_refuses_writes_unexecuted(stripe_emulator, stripe_client):
    stripe_emulator.fault("lock_timeout", count=1, path="/v1/customers")
    assert stripe_client.v1.customers.list().data == []  # a read does not take the fault

    with pytest.raises(stripe.RateLimitError) as refused:
        stripe_client.v1.customers.create(
            params={"email": "f@example.com"}, options={"idempotency_key": "faulted"}
        )

    assert refused.value.error.code == "lock_timeout"  # the SDK leaves .code unset on 429s
    assert refused.value.headers["Stripe-Should-Retry"] == "true"
    assert stripe_client.v1.customers.list().data == []
    assert stripe_emulator.requests()[-2]["fault"] == "lock_timeout"
    # The SDK retries it with the same key, which then executes once.
    stripe_emulator.fault("lock_timeout", count=2, path="/v1/customers")
    created = stripe_emulator.client(max_network_retries=2).v1.customers.create(
        params={"email": "f@example.com"}, options={"idempotency_key": "faulted"}
    )
    assert [c.id for c in stripe_client.v1.customers.list().data] == [created.id]
    assert [r["status"] for r in requests_with_key(stripe_emulator, "faulted")] == [
        429,
        429,
        429,
        200,
    ]


def test_faults_that_hold_need_a_duration(stripe_emulator):
    with pytest.raises(ControlError) as refused:
        stripe_emulator.fault("hold")
    assert refused.value.status == 400
    assert stripe_emulator.settings(lock_timeout_seconds=1)["lock_timeout_seconds"] == 1
    with pytest.raises(ControlError):
        stripe_emulator.settings(lock_timeout_seconds=-1)


# https://docs.stripe.com/api/idempotent_requests: distinct keys are distinct operations
def test_fifty_concurrent_creations_make_fifty_objects_and_lose_nothing(
    stripe_emulator, stripe_client, pool
):
    def create(i):
        return stripe_client.v1.customers.create(
            params={"email": f"c{i}@example.com", "metadata": {"i": str(i)}},
            options={"idempotency_key": f"create-{i}"},
        )

    created = list(pool.map(create, range(50)))

    assert len({c.id for c in created}) == 50
    listed = stripe_client.v1.customers.list(params={"limit": 100}).data
    assert {c.id for c in listed} == {c.id for c in created}
    assert sorted(int(c.metadata["i"]) for c in listed) == list(range(50))


# https://docs.stripe.com/rate-limits#object-lock-timeouts: writes to one object are
# serialised by its lock (each waits its turn within the timeout); none is lost
def test_concurrent_writes_to_one_customer_are_serialised_and_all_kept(
    stripe_emulator, stripe_client, pool
):
    customer = stripe_client.v1.customers.create(params={"email": "many@example.com"})

    def tag(i):
        return stripe_client.v1.customers.update(customer.id, params={"metadata": {f"k{i}": "v"}})

    list(pool.map(tag, range(20)))

    metadata = stripe_client.v1.customers.retrieve(customer.id).metadata.to_dict()
    assert metadata == {f"k{i}": "v" for i in range(20)}
