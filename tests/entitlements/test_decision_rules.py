"""The access rule on rows made by factories: states the emulator reaches slowly or not at all.

Billing's own lifecycle is tested through the emulator (test_decision.py and
tests/billing); here the subscription and grant rows are written directly, and
only the rule that reads them is under test.
"""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import ApiKeyFactory, GrantFactory, SubscriptionFactory, UserFactory
from tests.helpers.billing import iso
from tests.helpers.clients import client_for
from tests.helpers.entitlements import ME

pytestmark = pytest.mark.django_db

METERED = {"access": "metered", "reason": "metered"}


def decision(user) -> dict:
    return client_for(user).get(ME).json()


def test_past_due_without_grace_days_keeps_access_until_the_period_ends_and_no_longer(settings):
    settings.PAST_DUE_GRACE_DAYS = None
    now = timezone.now()
    subscription = SubscriptionFactory(past_due=True, now=now)

    within = decision(subscription.user)
    with time_machine.travel(subscription.current_period_end + timedelta(seconds=1), tick=False):
        after = decision(subscription.user)

    assert within["reason"] == "past_due_grace"
    assert within["until"] == iso(subscription.current_period_end)
    assert {k: after[k] for k in METERED} == METERED


@pytest.mark.parametrize(
    ("failed_days_ago", "reason"), [(2, "past_due_grace"), (3, "metered"), (4, "metered")]
)
def test_past_due_grace_days_count_from_the_failed_renewal(settings, failed_days_ago, reason):
    settings.PAST_DUE_GRACE_DAYS = 3
    now = timezone.now()
    subscription = SubscriptionFactory(
        past_due=True, now=now, into_period=timedelta(days=failed_days_ago)
    )

    with time_machine.travel(now, tick=False):
        body = decision(subscription.user)

    assert body["reason"] == reason
    if reason == "past_due_grace":
        assert body["until"] == iso(subscription.current_period_start + timedelta(days=3))


def test_no_grace_days_means_a_failed_renewal_ends_access_at_once(settings):
    settings.PAST_DUE_GRACE_DAYS = 0
    subscription = SubscriptionFactory(past_due=True, into_period=timedelta(minutes=1))

    assert decision(subscription.user)["reason"] == "metered"


def test_a_canceled_subscription_gives_nothing_and_a_running_grant_still_counts():
    now = timezone.now()
    subscription = SubscriptionFactory(canceled=True, now=now)
    reader = subscription.user

    before = decision(reader)
    grant = GrantFactory(reader=reader, now=now)
    with time_machine.travel(now + timedelta(seconds=1), tick=False):
        with_grant = decision(reader)

    assert before["reason"] == "metered"
    assert with_grant == {
        "access": "unlimited",
        "reason": "grant",
        "until": iso(grant.ends_at),
        "metered": None,
    }


def test_an_active_period_that_ended_unsynced_gives_no_access_after_its_end():
    subscription = SubscriptionFactory()

    with time_machine.travel(subscription.current_period_end - timedelta(seconds=1), tick=False):
        last_second = decision(subscription.user)
    with time_machine.travel(subscription.current_period_end, tick=False):
        at_the_end = decision(subscription.user)

    assert last_second["reason"] == "active"
    assert last_second["until"] == iso(subscription.current_period_end)
    assert at_the_end["reason"] == "metered"


def test_a_trial_gives_access_until_its_end_only():
    subscription = SubscriptionFactory(trialing=True)

    within = decision(subscription.user)
    with time_machine.travel(subscription.trial_end + timedelta(seconds=1), tick=False):
        after = decision(subscription.user)

    assert (within["reason"], within["until"]) == ("trialing", iso(subscription.trial_end))
    assert after["reason"] == "metered"


def test_a_grant_ends_when_it_says_and_a_revoked_one_gives_nothing():
    now = timezone.now()
    running = GrantFactory(now=now)
    revoked = GrantFactory(now=now, revoked=True)

    with time_machine.travel(running.ends_at - timedelta(seconds=1), tick=False):
        last_second = decision(running.reader)
    with time_machine.travel(running.ends_at, tick=False):
        at_the_end = decision(running.reader)

    assert (last_second["reason"], last_second["until"]) == ("grant", iso(running.ends_at))
    assert at_the_end["reason"] == "metered"
    assert decision(revoked.reader)["reason"] == "metered"


def test_a_live_subscription_comes_before_a_longer_grant():
    now = timezone.now()
    subscription = SubscriptionFactory(now=now)
    GrantFactory(reader=subscription.user, now=now, ends_at=now + timedelta(days=400))

    assert decision(subscription.user)["reason"] == "active"


def test_a_factory_key_reads_a_factory_subscription_for_a_service(settings):
    settings.PAST_DUE_GRACE_DAYS = 3
    key = ApiKeyFactory()
    subscription = SubscriptionFactory(past_due=True, into_period=timedelta(days=1))
    service = APIClient()
    service.credentials(HTTP_AUTHORIZATION=f"Api-Key {key.raw_key}")

    response = service.get(f"/api/entitlements/readers/{subscription.user.pk}/")
    refused = APIClient()
    refused.credentials(HTTP_AUTHORIZATION=f"Api-Key {key.prefix}.wrong")

    assert response.status_code == 200
    assert response.json()["until"] == iso(subscription.current_period_start + timedelta(days=3))
    assert refused.get(f"/api/entitlements/readers/{subscription.user.pk}/").status_code == 401


def test_the_factories_make_distinct_readers_and_subscriptions():
    first, second = SubscriptionFactory(), SubscriptionFactory(trialing=True)

    assert first.user != second.user
    assert first.customer.user == first.user
    assert second.trial_end == second.current_period_end
    assert UserFactory().email != first.user.email
