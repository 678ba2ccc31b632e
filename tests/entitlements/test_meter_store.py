"""Anonymous readers metered in Redis (METER_STORE=redis), written behind into PostgreSQL.

Real Redis, real PostgreSQL, real threads; the drain is the real one, run in
process here (tests/entitlements/test_meter_drain.py runs it on a worker).
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.test import override_settings
from rest_framework.test import APIClient

from entitlements.models import Meter, MeteredRead, ReaderVersion
from entitlements.readers import Reader, reader_id_verify
from entitlements.services import (
    entitlement_read_article,
    meter_erase_for_user,
    meter_merge_anonymous,
    meters_purge,
)
from tests.helpers.edge import issue, verified
from tests.helpers.entitlements import (
    ME,
    REDIS_DOWN,
    anonymous_reads,
    drain,
    forget_reader_in_redis,
    run_together,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _in_redis(settings):
    settings.METER_STORE = "redis"


def reads_of(reader_id: str) -> list[str]:
    """The articles PostgreSQL holds for an anonymous reader, oldest first."""
    reader = reader_id_verify(reader_id)
    return list(
        MeteredRead.objects.filter(**reader.meter_filter("meter__"))
        .order_by("read_at", "id")
        .values_list("article_id", flat=True)
    )


def claims(client, reader_id: str) -> dict:
    return verified(client, issue(client, HTTP_X_READER_ID=reader_id))


def test_readers_racing_for_their_last_free_article_get_exactly_one_each():
    readers = [Reader(anonymous_id=uuid.uuid4().hex) for _ in range(3)]
    for reader in readers:
        for article in ("a1", "a2"):
            assert entitlement_read_article(reader=reader, article_id=article).granted

    outcomes = run_together(
        lambda i: (
            i % 3,
            entitlement_read_article(reader=readers[i % 3], article_id=f"last-{i}"),
        ),
        count=15,
    )

    assert Counter(r for r, outcome in outcomes if outcome.granted) == {0: 1, 1: 1, 2: 1}
    refused = [outcome for _, outcome in outcomes if not outcome.granted]
    assert {(o.reason, o.remaining) for o in refused} == {("limit_reached", 0)}
    assert MeteredRead.objects.count() == 0  # counted in Redis: no write on the request
    assert drain() == 9
    assert MeteredRead.objects.count() == 9


def test_a_counted_read_sends_no_query_to_postgresql(django_assert_num_queries):
    reader = Reader(anonymous_id=uuid.uuid4().hex)
    entitlement_read_article(reader=reader, article_id="a1")  # the meter, from PostgreSQL

    with django_assert_num_queries(0):
        outcome = entitlement_read_article(reader=reader, article_id="a2")

    assert (outcome.granted, outcome.remaining) == (True, 1)


def test_each_counted_read_moves_the_decision_and_the_token_version(anonymous_client):
    reader_id, _ = anonymous_reads(anonymous_client, "a1")
    first = claims(anonymous_client, reader_id)
    cached = anonymous_client.get(ME, HTTP_X_READER_ID=reader_id).json()  # warms the cache

    _, [answer] = anonymous_reads(anonymous_client, "a2", reader_id=reader_id)
    second = claims(anonymous_client, reader_id)
    after = anonymous_client.get(ME, HTTP_X_READER_ID=reader_id).json()
    anonymous_reads(anonymous_client, "a2", reader_id=reader_id)  # a re-read changes nothing
    again = claims(anonymous_client, reader_id)

    assert (cached["metered"]["used"], after["metered"]["used"]) == (1, 2)
    assert answer == {"granted": True, "access": "metered", "reason": "metered", "remaining": 1}
    assert second["ver"] == first["ver"] + 1
    assert second["meter"]["articles"] == ["a1", "a2"]
    assert again["ver"] == second["ver"]
    # The version lived in Redis; the drain brings it to PostgreSQL with the reads.
    key = reader_id_verify(reader_id).key
    assert not ReaderVersion.objects.filter(reader_key=key).exists()
    drain()
    assert ReaderVersion.objects.get(reader_key=key).version == second["ver"]


def test_a_meter_lost_from_redis_is_rebuilt_from_the_drained_and_the_undrained_reads(
    anonymous_client,
):
    reader_id, _ = anonymous_reads(anonymous_client, "a1", "a2")
    assert drain() == 2
    anonymous_reads(anonymous_client, "a3", reader_id=reader_id)  # still in the stream only
    before = claims(anonymous_client, reader_id)

    assert forget_reader_in_redis(reader_id_verify(reader_id).key) >= 1
    me = anonymous_client.get(ME, HTTP_X_READER_ID=reader_id).json()
    after = claims(anonymous_client, reader_id)
    _, [refused, reread] = anonymous_reads(anonymous_client, "a4", "a3", reader_id=reader_id)

    assert me["metered"]["used"] == 3
    assert after["meter"]["articles"] == ["a1", "a2", "a3"]
    assert after["ver"] > before["ver"]  # an edge keeps the rebuilt token, not the older one
    assert (refused["granted"], refused["reason"]) == (False, "limit_reached")
    assert reread["granted"] is True
    assert drain() == 1
    assert reads_of(reader_id) == ["a1", "a2", "a3"]


def test_with_redis_out_a_read_is_counted_in_postgresql_and_never_twice(anonymous_client):
    reader_id, _ = anonymous_reads(anonymous_client, "a1")
    drain()

    with override_settings(CACHES=REDIS_DOWN):
        _, [during] = anonymous_reads(anonymous_client, "a2", reader_id=reader_id)
        assert reads_of(reader_id) == ["a1", "a2"]  # counted in PostgreSQL at once

    # Redis is back, with the meter it had before the outage: the read counted in
    # PostgreSQL meanwhile is not handed out again.
    _, answers = anonymous_reads(anonymous_client, "a3", "a4", "a2", reader_id=reader_id)
    assert reads_of(reader_id) == ["a1", "a2"]  # a3 counted in Redis again, not drained yet
    drain()

    assert (during["granted"], during["remaining"]) == (True, 1)
    assert [(a["granted"], a["remaining"]) for a in answers] == [(True, 0), (False, 0), (True, 0)]
    assert reads_of(reader_id) == ["a1", "a2", "a3"]


def test_signing_in_merges_the_reads_not_yet_drained(anonymous_client, reader):
    reader_id, _ = anonymous_reads(anonymous_client, "a1", "a2")
    assert MeteredRead.objects.count() == 0

    merged = meter_merge_anonymous(user=reader, anonymous=reader_id_verify(reader_id))

    assert merged == 2
    account = MeteredRead.objects.filter(meter__user=reader).order_by("read_at", "id")
    assert list(account.values_list("article_id", flat=True)) == ["a1", "a2"]
    drain()  # the anonymous meter is kept (signing out gives no fresh articles)
    assert reads_of(reader_id) == ["a1", "a2"]
    assert account.count() == 2


def test_an_erased_account_gets_nothing_back_from_the_drain(anonymous_client, reader):
    reader_id, _ = anonymous_reads(anonymous_client, "a1", "a2")
    meter_merge_anonymous(user=reader, anonymous=reader_id_verify(reader_id))
    anonymous_reads(anonymous_client, "a3", reader_id=reader_id)  # after the merge
    assert reads_of(reader_id) == []  # none drained yet

    assert meter_erase_for_user(user=reader) == 2
    drain()

    assert not Meter.objects.filter(user=reader).exists()
    assert reads_of(reader_id) == ["a1", "a2", "a3"]  # the anonymous meter, not the account's


def test_a_month_in_the_past_is_metered_in_redis_too(anonymous_client):
    # Redis's clock is not ours: a meter's expiry is a duration, never a moment.
    with time_machine.travel(datetime(2026, 1, 31, 23, 59, tzinfo=UTC), tick=False):
        reader_id, answers = anonymous_reads(anonymous_client, "a1", "a2", "a3", "a4")

    assert [answer["granted"] for answer in answers] == [True, True, True, False]
    assert MeteredRead.objects.count() == 0  # in Redis, not the PostgreSQL fallback
    drain()
    assert reads_of(reader_id) == ["a1", "a2", "a3"]
    assert Meter.objects.get().month == date(2026, 1, 1)


def test_the_purge_leaves_this_month_s_undrained_reads_and_the_drain_lands_them(
    anonymous_client,
):
    with time_machine.travel(datetime(2026, 1, 10, tzinfo=UTC), tick=False):
        old, _ = anonymous_reads(anonymous_client, "old")
    with time_machine.travel(datetime(2026, 3, 10, tzinfo=UTC), tick=False):
        current, _ = anonymous_reads(APIClient(), "a1", "a2")  # another reader
        assert MeteredRead.objects.count() == 0  # all three still in the stream
        meters_purge()  # nothing in PostgreSQL yet: nothing to purge
        drain()
        assert sorted(Meter.objects.values_list("month", flat=True)) == [
            date(2026, 1, 1),
            date(2026, 3, 1),
        ]
        assert meters_purge() == 1  # January, drained late, goes at the next run
        answer = anonymous_client.get(ME, HTTP_X_READER_ID=current).json()

    assert reads_of(current) == ["a1", "a2"]
    assert reads_of(old) == []
    assert answer["metered"]["used"] == 2
