"""The webhook drain bench's counting (bench/webhook_drain.py), on a few events.

No timing is asserted: what must be right is what the bench reports as lost
and applied twice, with a real worker on Redis and the emulator as Stripe.
"""

import pytest

from bench.webhook_drain import PER_SUBSCRIPTION, drain_counts, events_for, seed_subscriptions
from billing.models import StripeEvent
from billing.tasks import process_stripe_event
from tests.worker import celery_worker, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

SUBSCRIPTIONS = 2
EVENTS = SUBSCRIPTIONS * len(PER_SUBSCRIPTION)


def test_a_drain_processes_every_event_once_and_the_counts_say_so(stripe, tmp_path):
    seeded = seed_subscriptions(SUBSCRIPTIONS)
    StripeEvent.objects.bulk_create(events_for(seeded, EVENTS, "t"))
    pending = StripeEvent.objects.exclude(status__in=["processed", "ignored", "failed"])

    with celery_worker(
        stripe_url=stripe.url, stripe_key=stripe.api_key, output=tmp_path / "worker.log"
    ):
        for n in range(EVENTS):
            process_stripe_event.delay(f"evt_t_{n}")
        assert wait_for(lambda: not pending.exists(), timeout=60), (
            tmp_path / "worker.log"
        ).read_text()

    assert drain_counts("t", SUBSCRIPTIONS) == {
        "events": EVENTS,
        "processed": EVENTS,
        "lost": 0,
        "failed": 0,
        "claimed_twice": 0,
        "receipts": SUBSCRIPTIONS,  # one paid invoice each, one receipt each
        "receipts_expected": SUBSCRIPTIONS,
        "receipts_twice": 0,
    }


def test_the_counts_see_an_event_left_unprocessed_and_one_claimed_twice(stripe):
    seeded = seed_subscriptions(1)
    StripeEvent.objects.bulk_create(events_for(seeded, 3, "u"))
    StripeEvent.objects.filter(id="evt_u_0").update(status="processed", attempts=1)
    StripeEvent.objects.filter(id="evt_u_1").update(status="processed", attempts=2)
    StripeEvent.objects.filter(id="evt_u_2").update(status="failed", attempts=1)

    counts = drain_counts("u", 1)

    assert (counts["processed"], counts["lost"], counts["failed"]) == (2, 1, 1)
    assert counts["claimed_twice"] == 1
    assert (counts["receipts"], counts["receipts_expected"]) == (0, 1)
