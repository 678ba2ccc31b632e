"""A read counted in PostgreSQL while Redis was out marks the meter stale in Redis,
durably: the drain deletes the reader's hash even if the process that counted the
read died before Redis came back (Meter.redis_stale, meter_drain.meter_stale_forget).

Real Redis (and a port nothing listens on for Redis out), real PostgreSQL, real threads.
"""

from __future__ import annotations

import threading

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from entitlements import meter_store
from entitlements.meter_drain import meter_stale_forget
from entitlements.models import Meter, MeteredRead
from entitlements.readers import Reader, reader_id_verify
from entitlements.selectors import month_start
from entitlements.services import meter_record_read
from tests.helpers.entitlements import REDIS_DOWN, anonymous_reads, drain, waiting_on_a_lock
from tests.worker import wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _in_redis(settings):
    settings.METER_STORE = "redis"
    meter_store._STALE.clear()
    yield
    meter_store._STALE.clear()


def hash_in_redis(reader: Reader) -> dict[bytes, bytes]:
    """The reader's meter hash as this run's Redis holds it now."""
    cache = django_settings.CACHES["default"]
    label = meter_store.month_label(month_start(timezone.now()))
    key = f"{cache['KEY_PREFIX']}:1:ent:m:{reader.key}:{label}"
    return redis.Redis.from_url(cache["LOCATION"]).hgetall(key)


def meter_of(reader: Reader) -> Meter:
    return Meter.objects.get(**reader.meter_filter())


def reads_of(reader: Reader) -> list[str]:
    return list(
        MeteredRead.objects.filter(**reader.meter_filter("meter__"))
        .order_by("read_at", "id")
        .values_list("article_id", flat=True)
    )


def read_while_redis_is_out(client, reader_id: str, article: str) -> dict:
    with override_settings(CACHES=REDIS_DOWN):
        _, [answer] = anonymous_reads(client, article, reader_id=reader_id)
    return answer


def test_a_process_dead_before_redis_came_back_hands_out_no_extra_article(anonymous_client):
    reader_id, _ = anonymous_reads(anonymous_client, "a1")
    drain()
    reader = reader_id_verify(reader_id)

    during = read_while_redis_is_out(anonymous_client, reader_id, "a2")
    assert (during["granted"], meter_of(reader).redis_stale) == (True, True)
    # The process that counted a2 dies: its memory of the stale hash goes with it.
    meter_store._STALE.clear()
    assert list(hash_in_redis(reader)) == [b"#v", b"a:a1"]  # Redis kept the old hash

    assert drain() == 0  # no read in the stream; the stale hash goes all the same

    assert hash_in_redis(reader) == {}
    assert meter_of(reader).redis_stale is False
    _, answers = anonymous_reads(anonymous_client, "a3", "a4", "a2", reader_id=reader_id)
    assert [(a["granted"], a["remaining"]) for a in answers] == [(True, 0), (False, 0), (True, 0)]
    drain()
    assert reads_of(reader) == ["a1", "a2", "a3"]


def test_a_mark_stays_while_redis_cannot_delete_the_hash(anonymous_client):
    reader_id, _ = anonymous_reads(anonymous_client, "a1")
    reader = reader_id_verify(reader_id)
    read_while_redis_is_out(anonymous_client, reader_id, "a2")
    meter_store._STALE.clear()

    with override_settings(CACHES=REDIS_DOWN):
        assert meter_stale_forget() == 0
    assert meter_of(reader).redis_stale is True
    assert hash_in_redis(reader)  # nothing deleted, nothing cleared

    assert meter_stale_forget() == 1
    assert (meter_of(reader).redis_stale, hash_in_redis(reader)) == (False, {})


def test_a_meter_marked_again_while_the_drain_deletes_stays_marked(anonymous_client):
    reader_id, _ = anonymous_reads(anonymous_client, "a1")
    reader = reader_id_verify(reader_id)
    read_while_redis_is_out(anonymous_client, reader_id, "a2")
    assert meter_of(reader).redis_marks == 1
    forgot: list[int] = []

    def forget() -> None:
        """The drain's step, in its own connection: it reads the mark, deletes the
        hash, then waits on the meter's lock held by the fallback read below."""
        try:
            forgot.append(meter_stale_forget())
        finally:
            connection.close()

    drainer = threading.Thread(target=forget)
    with transaction.atomic():
        with override_settings(CACHES=REDIS_DOWN):
            meter_record_read(reader=reader, article_id="a3")  # marks it again, uncommitted
        drainer.start()
        assert wait_for(lambda: waiting_on_a_lock() >= 1, timeout=10)
    drainer.join(10)

    # The hash the drain deleted might have been rebuilt before a3 committed: the
    # second mark stays, and the next run deletes the hash again.
    assert forgot == [0]
    assert (meter_of(reader).redis_stale, meter_of(reader).redis_marks) == (True, 2)
    assert meter_stale_forget() == 1
    assert meter_of(reader).redis_stale is False
