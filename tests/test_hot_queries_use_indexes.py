"""Every hot query uses an index: a year of data must not make the hot path scan a table.

The SQL is what the real selectors and services send (CaptureQueriesContext),
and PostgreSQL's own plan for it is read with EXPLAIN. Sequential scans are
priced out (enable_seqscan = off), so that a few rows answer as a million
would: a plan that still scans a table sequentially has no index to use.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import StripeEvent
from billing.selectors import subscription_get_current
from billing.services.retention import stripe_attempts_prune, stripe_events_prune
from billing.services.webhooks import stripe_event_record
from entitlements.api_keys import api_key_authenticate, api_key_create
from entitlements.readers import Reader
from entitlements.selectors import entitlement_decide
from entitlements.services import meter_record_read, meters_purge
from newsletters import links
from newsletters.selectors import suppressed_everywhere
from newsletters.services.removal import unsubscribe_by_link
from newsletters.services.signup import subscriber_locked
from tests.factories import SubscriptionFactory, UserFactory
from tests.helpers.entitlements import REDIS_DOWN, forget_reader_in_redis

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

STATEMENTS = ("SELECT", "UPDATE", "DELETE", "INSERT")


def plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from plan_nodes(child)


def sequential_scans(call: Callable[[], Any], *, ordered: bool = False) -> list[tuple[str, str]]:
    """(node, SQL) of each query `call` sends whose plan scans a table sequentially
    (and, when `ordered`, that sorts instead of reading an index in order)."""
    with CaptureQueriesContext(connection) as captured:
        call()
    queries = [q["sql"] for q in captured.captured_queries if q["sql"].startswith(STATEMENTS)]
    assert queries, "the call sent no query"
    bad = {"Seq Scan", "Sort"} if ordered else {"Seq Scan"}
    found = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        if ordered:  # a few rows: a bitmap scan and a sort would do as well as the index
            cursor.execute("SET LOCAL enable_bitmapscan = off")
        for sql in queries:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
            [[raw]] = cursor.fetchall()
            plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
            found += [
                (f"{node['Node Type']} {node.get('Relation Name', '')}", sql)
                for node in plan_nodes(plan)
                if node["Node Type"] in bad
            ]
    return found


@pytest.fixture
def subscriber_reader(plans):
    subscription = SubscriptionFactory(plan=plans["monthly"])
    # other readers' rows, so that each lookup has rows to pass over
    for _ in range(3):
        SubscriptionFactory(plan=plans["monthly"])
    return subscription


def anonymous() -> Reader:
    return Reader(anonymous_id=uuid.uuid4().hex)


def from_the_database(reader: Reader) -> Callable[[], Any]:
    def decide() -> Any:
        cache.clear()  # the decision the database gives, not the cached one
        return entitlement_decide(reader=reader)

    return decide


def test_the_decision_of_a_signed_in_reader(subscriber_reader):
    reader = Reader(user_id=subscriber_reader.user_id)  # the account row is read too
    with_reads = Reader(user_id=UserFactory().pk)
    meter_record_read(reader=with_reads, article_id="a-1")

    assert sequential_scans(from_the_database(reader)) == []
    assert sequential_scans(from_the_database(with_reads)) == []


@pytest.mark.parametrize("store", ["database", "redis"])
def test_the_decision_of_an_anonymous_reader(settings, store):
    # the allowances differ: the decision asks whether the reader confirmed an address
    settings.FREE_ARTICLES_ANONYMOUS, settings.FREE_ARTICLES_REGISTERED = 3, 5
    settings.METER_STORE = store
    reader = anonymous()
    meter_record_read(reader=reader, article_id="a-1")

    assert sequential_scans(from_the_database(reader)) == []


def test_a_metered_read_finds_locks_and_counts(db, settings):
    settings.METER_STORE = "database"  # as with Redis out; an account's reads always
    reader = anonymous()
    meter_record_read(reader=reader, article_id="a-1")

    assert sequential_scans(lambda: meter_record_read(reader=reader, article_id="a-2")) == []
    signed_in = Reader(user_id=UserFactory().pk)
    assert sequential_scans(lambda: meter_record_read(reader=signed_in, article_id="a-1")) == []


@pytest.mark.redis
def test_a_meter_rebuilt_and_drained_finds_its_rows_by_index(db, settings):
    from entitlements.meter_drain import meter_drain
    from entitlements.meter_store import meter_snapshot
    from entitlements.selectors import month_start

    settings.METER_STORE = "redis"
    reader = anonymous()
    meter_record_read(reader=reader, article_id="a-1")
    meter_record_read(reader=anonymous(), article_id="a-1")

    assert sequential_scans(meter_drain) == []
    forget_reader_in_redis(reader.key)  # the meter is rebuilt from PostgreSQL
    month = month_start(timezone.now())
    assert sequential_scans(lambda: meter_snapshot(reader=reader, month=month)) == []


@pytest.mark.redis
def test_the_drain_finds_the_meters_stale_in_redis_by_index(db, settings):
    from django.test import override_settings

    from entitlements.meter_drain import meter_stale_forget

    settings.METER_STORE = "database"
    for _ in range(3):  # meters not marked, for the walk to pass over
        meter_record_read(reader=anonymous(), article_id="a-1")
    settings.METER_STORE = "redis"
    with override_settings(CACHES=REDIS_DOWN):  # counted in PostgreSQL: marked
        meter_record_read(reader=anonymous(), article_id="a-1")

    def forget() -> None:
        assert meter_stale_forget() == 1

    assert sequential_scans(forget) == []


def test_the_webhooks_event_lookup(db):
    def event(n: int) -> dict[str, Any]:
        return {"id": f"evt_{n}", "type": "customer.updated", "data": {"object": {"id": "c"}}}

    stripe_event_record(event=event(1))

    assert sequential_scans(lambda: stripe_event_record(event=event(1))) == []  # a duplicate
    assert sequential_scans(lambda: StripeEvent.objects.filter(id="evt_1").first()) == []


def test_the_subscription_lookups_by_stripe_id_and_by_user(subscriber_reader):
    from billing.models import Subscription

    stripe_id = subscriber_reader.stripe_subscription_id
    assert (
        sequential_scans(
            lambda: Subscription.objects.filter(stripe_subscription_id=stripe_id).first()
        )
        == []
    )
    assert sequential_scans(lambda: subscription_get_current(user=subscriber_reader.user)) == []


def test_the_api_key_lookup(db):
    key = api_key_create(name="renderer").key
    api_key_create(name="another")

    assert sequential_scans(lambda: api_key_authenticate(key=key + "x")) == []


def test_the_newsletters_subscriber_lookup_by_email_hash(db):
    with transaction.atomic():
        subscriber = subscriber_locked(email="someone@example.com")
        subscriber_locked(email="someone.else@example.com")
    token = links.never_email_url(email_hash=subscriber.email_hash).rstrip("/").split("/")[-1]

    assert sequential_scans(lambda: suppressed_everywhere(email="someone@example.com")) == []
    assert sequential_scans(lambda: unsubscribe_by_link(token=token)) == []


def test_the_retention_jobs_read_the_oldest_rows_first_from_an_index(db):
    later = timezone.now() + timedelta(days=400)
    assert sequential_scans(lambda: stripe_events_prune(now=later), ordered=True) == []
    assert sequential_scans(lambda: stripe_attempts_prune(now=later), ordered=True) == []
    assert sequential_scans(lambda: meters_purge(now=later), ordered=True) == []
