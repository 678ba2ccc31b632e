"""A worker killed mid-task: its event is taken up again within the bound, and applied once.

Real workers on the real Redis broker and PostgreSQL, with a small task time
limit (passed to the worker processes through the environment, as an
operator sets it) so that the bounds derived from it are a few seconds.
"""

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditLog
from billing.models import StripeEvent, Subscription
from billing.services.webhooks import stripe_event_record
from billing.tasks import requeue_stripe_events
from config.task_limits import TaskLimits
from tests.billing.webhooks import deliver, event_body
from tests.worker import celery_worker, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

TIME_LIMIT = 4
# The requeue job as beat runs it, but every second rather than every minute.
REQUEUE_EVERY = 1
# Starting the second worker, and a loaded machine.
SLACK = 15


def test_an_event_held_by_a_killed_worker_is_processed_again_once_within_the_bound(
    client, plans, reader_client, stripe, stripe_sdk, tmp_path
):
    limits = TaskLimits(time_limit=TIME_LIMIT, requeue_interval=REQUEUE_EVERY)
    env = {"CELERY_TASK_TIME_LIMIT": str(TIME_LIMIT)}
    body = reader_client.post("/api/billing/trial/", {"plan": "monthly"}, format="json").json()
    local = Subscription.objects.get(stripe_subscription_id=body["id"])
    # A change in Stripe that the event tells us of: cancellation at period end.
    stripe_sdk.v1.subscriptions.update(body["id"], params={"cancel_at_period_end": True})
    # The first worker's re-read of the subscription from Stripe hangs.
    stripe.fault("delay", count=1, path=f"/v1/subscriptions/{body['id']}", delay_ms=15_000)

    first_log = tmp_path / "first.log"
    with celery_worker(
        stripe_url=stripe.url, stripe_key=stripe.api_key, env=env, output=first_log
    ) as first:
        response = deliver(
            client,
            event_body(
                "customer.subscription.updated",
                {"id": body["id"], "customer": local.customer.stripe_customer_id},
                event_id="evt_killed",
            ),
        )
        assert response.status_code == 200
        # The worker has claimed the event and is inside Stripe's call: kill it there.
        assert wait_for(lambda: not stripe.control("GET", "/_emulator/faults")["faults"])
        first.kill()
        first.wait()

    held = StripeEvent.objects.get(id="evt_killed")
    assert (held.status, held.attempts) == ("processing", 1)
    claimed_at = held.processing_started_at
    task_id = re.search(
        r"process_stripe_event\[([0-9a-f-]+)\] received", first_log.read_text()
    ).group(1)
    local.refresh_from_db()
    assert local.cancel_at_period_end is False  # nothing was applied before the kill

    second_log = tmp_path / "second.log"
    with celery_worker(
        stripe_url=stripe.url, stripe_key=stripe.api_key, env=env, output=second_log
    ):

        def recovered() -> bool:
            requeue_stripe_events.delay()  # beat's part
            return StripeEvent.objects.get(id="evt_killed").status == "processed"

        assert wait_for(recovered, timeout=limits.recovery_bound + SLACK, interval=REQUEUE_EVERY)
        event = StripeEvent.objects.get(id="evt_killed")
        # Found by the requeue job once the claim was stale, no later than the bound says.
        taken_after = (event.processed_at - claimed_at).total_seconds()
        assert limits.stuck_after <= taken_after <= limits.recovery_by_requeue + SLACK

        # The killed worker's own message comes back too, past the visibility
        # timeout; the event is processed already, so it changes nothing.
        redelivered = f"process_stripe_event[{task_id}] succeeded"
        assert wait_for(
            lambda: redelivered in second_log.read_text(),
            timeout=limits.recovery_by_broker + SLACK,
        ), second_log.read_text()

    event = StripeEvent.objects.get(id="evt_killed")
    assert event.status == "processed"
    assert event.attempts == 2  # the killed worker's claim and the one that finished
    assert event.last_error == ""
    local.refresh_from_db()
    assert local.cancel_at_period_end is True
    applied = AuditLog.objects.filter(
        action="stripe.customer.subscription.updated", reason="webhook evt_killed"
    )
    assert applied.count() == 1
    # Stripe was read once to finish (besides the killed worker's hung read):
    # the redelivered message found the event processed and read nothing.
    reads = [
        r
        for r in stripe.requests()
        if r["method"] == "GET" and r["path"].endswith(body["id"]) and "fault" not in r
    ]
    assert len(reads) == 1, reads


def test_a_live_worker_lets_go_of_a_hung_event_within_the_time_limit(
    plans, reader_client, stripe, stripe_sdk, tmp_path
):
    """Why a claim older than the stuck age is a dead worker's: a live one lets go by T."""
    limits = TaskLimits(time_limit=TIME_LIMIT)
    body = reader_client.post("/api/billing/trial/", {"plan": "monthly"}, format="json").json()
    local = Subscription.objects.get(stripe_subscription_id=body["id"])
    stripe_sdk.v1.subscriptions.update(body["id"], params={"cancel_at_period_end": True})
    # An event whose enqueue was lost: the worker's requeue job queues it, so
    # the message carries the worker's time limit (a task carries the limits
    # of the process that queued it).
    obj = {"id": body["id"], "customer": local.customer.stripe_customer_id}
    stripe_event_record(
        event=json.loads(event_body("customer.subscription.updated", obj, event_id="evt_hung"))
    )
    StripeEvent.objects.filter(id="evt_hung").update(
        received_at=timezone.now() - timedelta(minutes=2)
    )
    # Stripe hangs far longer than the time limit.
    stripe.fault("delay", count=1, path=f"/v1/subscriptions/{body['id']}", delay_ms=20_000)

    log = tmp_path / "worker.log"
    with celery_worker(
        stripe_url=stripe.url,
        stripe_key=stripe.api_key,
        env={"CELERY_TASK_TIME_LIMIT": str(TIME_LIMIT)},
        output=log,
        pool="prefork",
    ):
        requeue_stripe_events.delay()
        assert wait_for(lambda: not stripe.control("GET", "/_emulator/faults")["faults"])
        claimed_at = StripeEvent.objects.get(id="evt_hung").processing_started_at

        # The soft limit ends the hung call: the attempt is recorded as failed...
        assert wait_for(
            lambda: StripeEvent.objects.get(id="evt_hung").status != "processing",
            timeout=limits.time_limit + SLACK,
        ), log.read_text()
        # ...and the task's own retry (its countdown capped at T/2) finishes the work.
        assert wait_for(
            lambda: StripeEvent.objects.get(id="evt_hung").status == "processed",
            timeout=limits.retry_backoff_max + SLACK,
        ), StripeEvent.objects.get(id="evt_hung").last_error

    assert f"Soft time limit ({limits.soft_time_limit}s) exceeded" in log.read_text()
    event = StripeEvent.objects.get(id="evt_hung")
    assert event.attempts == 2
    # let go, and done again, before the claim could have been taken for a dead worker's
    assert (event.processed_at - claimed_at).total_seconds() < (
        limits.soft_time_limit + limits.retry_backoff_max + SLACK
    )
    local.refresh_from_db()
    assert local.cancel_at_period_end is True
    applied = AuditLog.objects.filter(
        action="stripe.customer.subscription.updated", reason="webhook evt_hung"
    )
    assert applied.count() == 1
