"""While a reader's pause runs they are metered, reason `paused`, `until` the resume date;
the decision follows the pause at once (cache invalidated) and ends with it."""

from datetime import timedelta

import pytest
import time_machine

from tests.helpers.billing import iso, subscribe, sync
from tests.helpers.entitlements import ME, read
from tests.stripe_time import SLACK, unix

pytestmark = pytest.mark.django_db

PAUSE = "/api/billing/subscription/pause/"


@pytest.fixture
def subscriber(plans, reader_client, committing):
    with committing():
        subscription = subscribe(reader_client)
    assert reader_client.get(ME).json()["reason"] == "active"  # the cache is warm
    return subscription


def pause(client, committing, months=1):
    with committing():
        response = client.post(PAUSE, {"months": months}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def test_a_paused_reader_is_metered_until_the_resume_date(subscriber, reader_client, committing):
    paused = pause(reader_client, committing, months=2)

    body = reader_client.get(ME).json()

    assert body["access"] == "metered"
    assert body["reason"] == "paused"
    assert body["until"] == paused["pause_collection"]["resumes_at"]
    assert body["metered"]["used"] == 0
    assert body["metered"]["remaining"] == body["metered"]["limit"]


def test_a_paused_reader_reads_free_articles_from_the_meter(
    subscriber, reader_client, committing, settings
):
    pause(reader_client, committing)

    outcome = read(reader_client, "article-1").json()

    assert outcome["granted"] is True
    assert outcome["access"] == "metered"
    assert outcome["remaining"] == settings.FREE_ARTICLES_PER_MONTH - 1
    body = reader_client.get(ME).json()
    assert (body["reason"], body["metered"]["used"]) == ("paused", 1)


def test_resuming_early_gives_access_back_at_once(subscriber, reader_client, committing):
    pause(reader_client, committing)
    assert reader_client.get(ME).json()["reason"] == "paused"

    with committing():
        resumed = reader_client.post("/api/billing/subscription/resume/").json()

    body = reader_client.get(ME).json()
    assert body["access"] == "unlimited"
    assert body["reason"] == "active"
    assert body["until"] == resumed["current_period_end"]


def test_when_stripe_resumes_collection_the_reader_is_a_subscriber_again(
    subscriber, reader_client, committing, stripe
):
    paused = pause(reader_client, committing, months=1)
    stripe.advance(to=unix(paused["pause_collection"]["resumes_at"]) + SLACK)

    with committing():
        local = sync(subscriber["id"])  # as the customer.subscription.updated webhook does

    body = reader_client.get(ME).json()
    assert local.pause_behavior == ""
    assert body["reason"] == "active"
    assert body["until"] == iso(local.current_period_end)


def test_a_cached_paused_decision_ends_at_the_resume_date_by_itself(
    subscriber, reader_client, committing
):
    paused = pause(reader_client, committing, months=1)
    assert reader_client.get(ME).json()["reason"] == "paused"  # cached until resumes_at
    resumes_at = unix(paused["pause_collection"]["resumes_at"])

    # No webhook yet: the resume date alone ends the pause here (the cached decision
    # expires then); what access follows is the subscription's, as its webhooks tell.
    with time_machine.travel(resumes_at - 60, tick=False):
        assert reader_client.get(ME).json()["reason"] == "paused"
    with time_machine.travel(resumes_at + 1, tick=False):
        assert reader_client.get(ME).json()["reason"] != "paused"


def test_a_grant_still_wins_over_a_pause(subscriber, reader, reader_client, committing):
    from django.utils import timezone

    from entitlements.services import grant_create

    pause(reader_client, committing)
    with committing():
        grant_create(
            reader=reader, ends_at=timezone.now() + timedelta(days=5), reason="x", granted_by=None
        )

    assert reader_client.get(ME).json()["reason"] == "grant"
