"""GET /api/entitlements/me/: the one decision, every reason in the contract's order."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from entitlements.readers import Reader
from entitlements.selectors import Decision, MeterState, entitlement_decide
from entitlements.services import grant_create
from tests.factories import UserFactory
from tests.helpers.billing import iso, start_trial, subscribe, sync
from tests.helpers.clients import client_for
from tests.helpers.entitlements import ME, read
from tests.stripe_time import past_trial_end

pytestmark = pytest.mark.django_db


def test_a_trialing_reader_has_unlimited_access_until_the_trial_ends(plans, reader_client):
    trial = start_trial(reader_client)

    body = reader_client.get(ME).json()

    assert body == {
        "access": "unlimited",
        "reason": "trialing",
        "until": trial["trial_end"],
        "metered": None,
    }


def test_an_active_subscriber_has_unlimited_access_until_the_period_ends(plans, reader_client):
    subscription = subscribe(reader_client)

    body = reader_client.get(ME).json()

    assert body["access"] == "unlimited"
    assert body["reason"] == "active"
    assert body["until"] == subscription["current_period_end"]
    assert body["metered"] is None


def test_a_past_due_subscriber_keeps_access_while_stripe_retries(
    plans, reader, reader_client, stripe
):
    trial = start_trial(reader_client, payment_method="pm_card_chargeCustomerFail")
    past_trial_end(stripe, trial)  # the trial ends and its first invoice fails
    local = sync(trial["id"])
    assert local.status == "past_due"

    body = reader_client.get(ME).json()

    assert body["access"] == "unlimited"
    assert body["reason"] == "past_due_grace"
    assert body["until"] == iso(local.current_period_end)


def test_past_due_access_ends_after_the_grace_days(plans, reader, reader_client, stripe, settings):
    trial = start_trial(reader_client, payment_method="pm_card_chargeCustomerFail")
    past_trial_end(stripe, trial)
    local = sync(trial["id"])
    settings.PAST_DUE_GRACE_DAYS = 3
    failed_at = local.current_period_start  # the failed renewal started the unpaid period

    # Our own clock: no Stripe call happens while it is moved.
    with time_machine.travel(failed_at + timedelta(days=2), tick=False):
        within = reader_client.get(ME).json()
    with time_machine.travel(failed_at + timedelta(days=3, seconds=1), tick=False):
        after = reader_client.get(ME).json()

    assert local.status == "past_due"
    assert within["reason"] == "past_due_grace"
    assert within["until"] == iso(failed_at + timedelta(days=3))
    assert after["access"] == "metered"
    assert after["reason"] == "metered"


def test_a_reader_with_a_running_grant_has_unlimited_access_until_it_ends(reader, reader_client):
    ends = timezone.now() + timedelta(days=10)
    grant_create(reader=reader, ends_at=ends, reason="press pass", granted_by=None)

    body = reader_client.get(ME).json()

    assert body == {"access": "unlimited", "reason": "grant", "until": iso(ends), "metered": None}


def test_a_grant_that_has_not_started_or_has_ended_gives_nothing(reader, reader_client):
    now = timezone.now()
    grant_create(
        reader=reader,
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=2),
        reason="next week",
        granted_by=None,
    )
    grant_create(
        reader=reader,
        starts_at=now - timedelta(days=3),
        ends_at=now - timedelta(days=1),
        reason="last week",
        granted_by=None,
    )

    assert reader_client.get(ME).json()["reason"] == "metered"


def test_a_decision_cached_before_a_grant_starts_gives_way_to_it(reader):
    now = timezone.now()
    grant_create(
        reader=reader,
        starts_at=now + timedelta(hours=1),
        ends_at=now + timedelta(days=2),
        reason="from the hour",
        granted_by=None,
    )
    me = Reader(user_id=reader.pk)
    assert entitlement_decide(reader=me, now=now).reason == "metered"

    later = entitlement_decide(reader=me, now=now + timedelta(hours=1, seconds=1))

    assert later.reason == "grant"


def test_a_staff_account_has_unlimited_access_without_end(db):
    staff = UserFactory(is_staff=True)

    body = client_for(staff).get(ME).json()

    assert body == {"access": "unlimited", "reason": "staff", "until": None, "metered": None}


def test_the_subscription_comes_before_a_grant_and_a_grant_before_staff(
    plans, stripe, django_capture_on_commit_callbacks
):
    staff = UserFactory(is_staff=True)
    client = client_for(staff)
    ends = timezone.now() + timedelta(days=400)
    grant_create(reader=staff, ends_at=ends, reason="colleague", granted_by=None)
    assert client.get(ME).json()["reason"] == "grant"

    with django_capture_on_commit_callbacks(execute=True):
        start_trial(client)

    assert client.get(ME).json()["reason"] == "trialing"


def test_an_unlimited_reader_reads_without_using_the_meter(plans, reader_client):
    start_trial(reader_client)

    outcomes = [read(reader_client, f"a{i}").json() for i in range(5)]

    assert all(o == {**o, "granted": True, "access": "unlimited"} for o in outcomes)
    assert outcomes[0] == {
        "granted": True,
        "access": "unlimited",
        "reason": "trialing",
        "remaining": None,
    }


def test_a_cache_hit_makes_no_query(reader, django_assert_num_queries):
    me = Reader(user_id=reader.pk)
    first = entitlement_decide(reader=me)

    with django_assert_num_queries(0):
        again = entitlement_decide(reader=me)

    assert again == first


def test_a_cached_unlimited_decision_ends_when_its_until_passes(reader):
    now = timezone.now()
    grant_create(
        reader=reader, starts_at=now, ends_at=now + timedelta(hours=1), reason="1h", granted_by=None
    )
    me = Reader(user_id=reader.pk)
    assert entitlement_decide(reader=me, now=now).reason == "grant"

    assert entitlement_decide(reader=me, now=now + timedelta(hours=2)).reason == "metered"


@pytest.mark.redis
def test_the_hot_copy_lives_in_redis_and_a_hit_makes_no_query(
    reader, settings, django_assert_num_queries
):
    import redis

    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    me = Reader(user_id=reader.pk)
    first = entitlement_decide(reader=me)
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    assert list(client.scan_iter(match=f"{prefix}:*:ent:d:u{reader.pk}"))

    with django_assert_num_queries(0):
        again = entitlement_decide(reader=me)

    assert again == first


@pytest.mark.parametrize(
    "decision",
    [
        Decision("unlimited", "staff", None, None),
        Decision("unlimited", "grant", datetime(2026, 5, 1, 12, 30, 1, 5, tzinfo=UTC), None),
        Decision(
            "metered",
            "limit_reached",
            None,
            MeterState(3, 3, 0, datetime(2027, 1, 1, tzinfo=UTC)),
            ("a", "b", "c"),
        ),
    ],
)
def test_the_fast_rendering_matches_the_documented_serializer(decision):
    from entitlements.serializers import EntitlementSerializer, entitlement_data

    assert entitlement_data(decision) == EntitlementSerializer(decision).data


def test_the_read_outcome_rendering_matches_its_serializer():
    from entitlements.serializers import ReadOutcomeSerializer, read_outcome_data
    from entitlements.services import ReadOutcome

    outcomes = (
        ReadOutcome(True, "unlimited", "active", None),
        ReadOutcome(False, "metered", "limit_reached", 0),
    )
    for outcome in outcomes:
        assert read_outcome_data(outcome) == ReadOutcomeSerializer(outcome).data


def test_a_decision_computed_before_an_invalidation_is_never_served_after_it(reader):
    """The race a plain delete would lose: a request computes from the database,
    the state changes and invalidates, then the request stores what it computed."""
    from entitlements import cache
    from entitlements.selectors import _to_cached
    from entitlements.services import entitlement_invalidate

    me = Reader(user_id=reader.pk)
    generation = cache.generation_ensure(me.key)  # the slow request starts under it
    stale = entitlement_decide(reader=me)  # metered, as the database said then
    grant_create(
        reader=reader, ends_at=timezone.now() + timedelta(days=1), reason="x", granted_by=None
    )
    entitlement_invalidate(reader=me)  # the change commits and invalidates

    # ... and only then does the slow request store its (now stale) decision.
    cache.store(
        cache.decision_key(me.key),
        _to_cached(stale, generation=generation, expires=timezone.now() + timedelta(hours=1)),
        timeout=3600,
    )

    assert entitlement_decide(reader=me).reason == "grant"
