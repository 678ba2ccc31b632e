"""Pause instead of cancel: POST subscription/pause/ {months} pauses Stripe's collection
(pause_collection, behavior void, resumes_at N calendar months on), POST
subscription/resume/ ends it early, and Stripe ends it by itself at resumes_at."""

from datetime import UTC, datetime, timedelta

import pytest

from audit.models import AuditLog
from billing.models import StripeAttempt, Subscription
from billing.services.pause import add_months, pause_resumes_at
from tests.factories import UserFactory
from tests.helpers.billing import start_trial, subscribe, sync
from tests.stripe_time import SLACK, past_renewal, unix

pytestmark = pytest.mark.django_db

PAUSE = "/api/billing/subscription/pause/"
RESUME = "/api/billing/subscription/resume/"


def pause(client, months=1):
    return client.post(PAUSE, {"months": months}, format="json")


def writes(stripe) -> list[dict]:
    return [r for r in stripe.requests() if r["method"] == "POST"]


@pytest.fixture
def active(plans, reader_client):
    return subscribe(reader_client)


def test_a_reader_pauses_for_two_calendar_months(active, reader, reader_client, stripe_sdk):
    response = pause(reader_client, months=2)

    assert response.status_code == 200, response.json()
    body = response.json()
    attempt = StripeAttempt.objects.get(operation="subscription.pause")
    resumes_at = pause_resumes_at(started=attempt.created_at, months=2)
    assert body["status"] == "active"
    assert body["pause_collection"] == {
        "behavior": "void",
        "resumes_at": resumes_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
    }
    assert body["has_unlimited_access"] is False
    remote = stripe_sdk.v1.subscriptions.retrieve(active["id"])
    assert remote.pause_collection.behavior == "void"
    assert remote.pause_collection.resumes_at == int(resumes_at.timestamp())
    local = Subscription.objects.get(stripe_subscription_id=active["id"])
    assert (local.pause_behavior, local.pause_resumes_at) == ("void", resumes_at)
    entry = AuditLog.objects.get(action="subscription.paused")
    assert entry.actor_user == reader
    assert entry.reason == "paused for 2 months"
    assert entry.before["pause_behavior"] == ""
    assert entry.after["pause_behavior"] == "void"
    assert entry.idempotency_key == attempt.idempotency_key


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (datetime(2027, 1, 31, 9, 30, tzinfo=UTC), 1, datetime(2027, 2, 28, 9, 30, tzinfo=UTC)),
        (datetime(2028, 1, 31, 9, 30, tzinfo=UTC), 1, datetime(2028, 2, 29, 9, 30, tzinfo=UTC)),
        (datetime(2027, 11, 30, 0, 0, tzinfo=UTC), 3, datetime(2028, 2, 29, 0, 0, tzinfo=UTC)),
        (datetime(2027, 12, 15, 12, 0, tzinfo=UTC), 2, datetime(2028, 2, 15, 12, 0, tzinfo=UTC)),
    ],
)
def test_a_pause_lasts_calendar_months_clamped_to_the_months_end(moment, months, expected):
    assert add_months(moment, months) == expected


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"months": 0}, "invalid_pause_length"),
        ({"months": 4}, "invalid_pause_length"),
        ({"months": -1}, "invalid_pause_length"),
        ({"months": "two"}, "invalid"),
        ({}, "required"),
    ],
)
def test_a_length_outside_one_to_three_months_is_a_400(active, reader_client, stripe, body, code):
    before = len(writes(stripe))

    response = reader_client.post(PAUSE, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert "months" in response.json()["fields"]
    assert len(writes(stripe)) == before


def test_pausing_twice_is_a_409_already_paused(active, reader_client, stripe):
    assert pause(reader_client).status_code == 200
    before = len(writes(stripe))

    response = pause(reader_client, months=3)

    assert response.status_code == 409
    assert response.json()["code"] == "already_paused"
    assert len(writes(stripe)) == before


def test_without_a_subscription_pausing_is_a_409(plans, reader_client):
    response = pause(reader_client)

    assert response.status_code == 409
    assert response.json()["code"] == "no_subscription"


def test_a_trial_is_not_paused(plans, reader_client):
    start_trial(reader_client, payment_method="pm_card_visa")

    response = pause(reader_client)

    assert response.status_code == 409
    assert response.json()["code"] == "subscription_not_pausable"


def test_a_subscription_being_cancelled_is_not_paused(active, reader_client):
    reader_client.post("/api/billing/subscription/cancel/", {"reason": "other"}, format="json")

    response = pause(reader_client)

    assert response.status_code == 409
    assert response.json()["code"] == "subscription_not_pausable"


def test_pausing_needs_a_reader(client):
    assert client.post(PAUSE, {"months": 1}, content_type="application/json").status_code == 401


def test_renewals_during_the_pause_charge_nothing_and_the_next_one_is_charged(
    active, reader_client, stripe, stripe_sdk
):
    def invoices():
        return stripe_sdk.v1.invoices.list(params={"subscription": active["id"]}).data

    assert [i.status for i in invoices()] == ["paid"]
    body = pause(reader_client, months=2).json()
    resumes_at = unix(body["pause_collection"]["resumes_at"])

    # Renew until a renewal is charged: every one made before resumes_at is voided (the
    # one two months on may fall just before it or at the very second, when Stripe
    # resumes first), and the first one after it is paid in full.
    local = sync(active["id"])
    for _renewal in range(3):
        past_renewal(stripe, local)
        local = sync(active["id"])
        if invoices()[0].status == "paid":
            break
    *renewals, first = invoices()
    paid, *during = renewals
    assert first.status == "paid"
    assert during, "no renewal fell inside the pause"
    assert all(i.status == "void" and i.amount_paid == 0 for i in during)
    assert all(i.created < resumes_at for i in during)
    assert paid.status == "paid"
    assert paid.created >= resumes_at
    assert paid.amount_paid == active_amount(stripe_sdk, active)
    assert local.status == "active"
    assert (local.pause_behavior, local.pause_resumes_at) == ("", None)


def active_amount(stripe_sdk, subscription) -> int:
    remote = stripe_sdk.v1.subscriptions.retrieve(subscription["id"])
    return remote["items"]["data"][0]["price"]["unit_amount"]


def test_stripe_resumes_collection_at_resumes_at_by_itself(
    active, reader_client, stripe, stripe_sdk
):
    body = pause(reader_client, months=2).json()
    resumes_at = unix(body["pause_collection"]["resumes_at"])

    stripe.advance(to=resumes_at - SLACK)
    assert sync(active["id"]).pause_behavior == "void"
    stripe.advance(to=resumes_at + SLACK)
    local = sync(active["id"])

    assert stripe_sdk.v1.subscriptions.retrieve(active["id"]).pause_collection is None
    assert local.pause_behavior == ""
    assert reader_client.get("/api/billing/subscription/").json()["pause_collection"] is None


def test_resume_ends_the_pause_early(active, reader, reader_client, stripe_sdk):
    pause(reader_client, months=3)

    response = reader_client.post(RESUME)

    assert response.status_code == 200, response.json()
    assert response.json()["pause_collection"] is None
    assert response.json()["has_unlimited_access"] is True
    assert stripe_sdk.v1.subscriptions.retrieve(active["id"]).pause_collection is None
    entry = AuditLog.objects.get(action="subscription.pause_ended")
    assert entry.actor_user == reader
    assert entry.reason == "resumed early"
    assert entry.before["pause_behavior"] == "void"
    assert entry.after["pause_behavior"] == ""


def test_resume_without_a_pause_or_cancellation_is_still_a_409(active, reader_client):
    response = reader_client.post(RESUME)

    assert response.status_code == 409
    assert response.json()["code"] == "not_cancelling"


def test_a_fault_at_stripe_leaves_nothing_half_done_and_the_retry_pauses_once(
    active, reader_client, stripe, stripe_sdk
):
    stripe.fault("500", count=1, path=f"/v1/subscriptions/{active['id']}")

    failed = pause(reader_client, months=1)

    assert failed.status_code == 503
    assert failed.json()["code"] == "stripe_unavailable"
    local = Subscription.objects.get(stripe_subscription_id=active["id"])
    assert local.pause_behavior == ""
    assert not AuditLog.objects.filter(action="subscription.paused").exists()
    assert stripe_sdk.v1.subscriptions.retrieve(active["id"]).pause_collection is None
    attempt = StripeAttempt.objects.get(operation="subscription.pause")
    assert attempt.status == StripeAttempt.Status.PENDING

    retried = pause(reader_client, months=1)

    assert retried.status_code == 200, retried.json()
    # The same attempt, so the same key and the same resumes_at.
    assert StripeAttempt.objects.filter(operation="subscription.pause").count() == 1
    remote = stripe_sdk.v1.subscriptions.retrieve(active["id"])
    resumes_at = pause_resumes_at(started=attempt.created_at, months=1)
    assert remote.pause_collection.resumes_at == int(resumes_at.timestamp())
    assert AuditLog.objects.filter(action="subscription.paused").count() == 1


def test_a_fault_when_resuming_early_keeps_the_pause(active, reader_client, stripe, stripe_sdk):
    pause(reader_client, months=1)
    stripe.fault("500", count=1, path=f"/v1/subscriptions/{active['id']}")

    failed = reader_client.post(RESUME)

    assert failed.status_code == 503
    assert Subscription.objects.get(stripe_subscription_id=active["id"]).pause_behavior == "void"
    assert stripe_sdk.v1.subscriptions.retrieve(active["id"]).pause_collection is not None
    assert not AuditLog.objects.filter(action="subscription.pause_ended").exists()


def test_the_plan_is_not_changed_during_a_pause(active, reader_client, stripe):
    pause(reader_client)
    before = len(writes(stripe))

    response = reader_client.post(
        "/api/billing/subscription/change-plan/", {"plan": "yearly"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "subscription_not_changeable"
    assert len(writes(stripe)) == before


@pytest.mark.parametrize("months", [0, 4, True, "2"])
def test_the_service_itself_refuses_a_length_outside_one_to_three_months(
    active, reader, stripe, months
):
    from billing.services import subscription_pause
    from config.errors import ApplicationError

    before = len(writes(stripe))

    with pytest.raises(ApplicationError) as refused:
        subscription_pause(user=reader, months=months)

    assert refused.value.code == "invalid_pause_length"
    assert len(writes(stripe)) == before


def test_the_service_pauses_for_another_caller_in_its_name(active, reader, plans):
    from billing.services import Actor, Audit, subscription_pause

    staff = UserFactory(is_staff=True)
    paused = subscription_pause(
        user=reader, months=3, audit=Audit(Actor.STAFF, user=staff, reason="save offer: pause")
    )

    assert paused.pause_behavior == "void"
    entry = AuditLog.objects.get(action="subscription.paused")
    assert (entry.actor_type, entry.actor_user, entry.reason) == (
        "staff",
        staff,
        "save offer: pause",
    )


def test_a_second_click_between_the_first_ones_stripe_answer_and_its_write_sends_nothing(
    active, reader, reader_client, stripe
):
    # The first request has paused it in Stripe (its attempt succeeded) and has not
    # written our row yet: the second one reads the row as not paused.
    local = Subscription.objects.get(stripe_subscription_id=active["id"])
    StripeAttempt.objects.create(
        operation="subscription.pause",
        user=reader,
        params={"subscription": active["id"], "months": 1},
        params_digest="first-click",
        idempotency_key="subscription.pause:first-click",
        status=StripeAttempt.Status.SUCCEEDED,
        completed_at=local.synced_at + timedelta(seconds=1),
    )
    before = len(writes(stripe))

    response = pause(reader_client, months=1)

    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "operation_in_progress"
    assert len(writes(stripe)) == before
    assert StripeAttempt.objects.filter(
        operation="subscription.pause", error_code="abandoned"
    ).exists()
