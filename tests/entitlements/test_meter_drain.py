"""The drain of reads counted in Redis into PostgreSQL: exactly once, whatever dies when.

A real Celery worker (tests/worker.py) on the real Redis broker and PostgreSQL
runs entitlements.tasks.drain_metered_reads, as beat has it every
METER_DRAIN_SECONDS.
"""

from __future__ import annotations

import threading
import time

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from entitlements.meter_store import STREAM
from entitlements.models import Meter, MeteredRead, ReaderVersion
from entitlements.readers import reader_id_verify
from entitlements.selectors import month_start
from entitlements.tasks import drain_metered_reads
from tests.helpers.entitlements import anonymous_reads, drain, waiting_on_a_lock
from tests.worker import celery_worker, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

# The worker's task time limit, which is also how long a killed drain's lock lasts.
TIME_LIMIT = 3


@pytest.fixture(autouse=True)
def _in_redis(settings):
    settings.METER_STORE = "redis"


def stream() -> tuple[redis.Redis, str]:
    """This run's Redis and the stream's key in it."""
    cache = django_settings.CACHES["default"]
    return redis.Redis.from_url(cache["LOCATION"]), f"{cache['KEY_PREFIX']}:1:{STREAM}"


def pending() -> int:
    client, key = stream()
    return client.xlen(key)


def test_the_worker_drains_each_counted_read_into_postgresql_exactly_once(anonymous_client, stripe):
    reader_id, _ = anonymous_reads(anonymous_client, "a1", "a2", "a1")
    anonymous_reads(APIClient(), "a1")  # another reader, the same article
    assert (pending(), MeteredRead.objects.count()) == (3, 0)

    with celery_worker(stripe_url=stripe.url, stripe_key=stripe.api_key):
        drain_metered_reads.delay()
        assert wait_for(lambda: pending() == 0)

    reader = reader_id_verify(reader_id)
    mine = MeteredRead.objects.filter(**reader.meter_filter("meter__")).order_by("read_at")
    assert list(mine.values_list("article_id", flat=True)) == ["a1", "a2"]
    assert MeteredRead.objects.count() == 3
    meter = Meter.objects.get(**reader.meter_filter())
    assert meter.month == month_start(mine[0].read_at).date()
    assert ReaderVersion.objects.get(reader_key=reader.key).version == 2


def test_a_batch_replayed_after_its_commit_adds_nothing(anonymous_client):
    reader_id, _ = anonymous_reads(anonymous_client, "a1", "a2", "a3")
    client, key = stream()
    entries = client.xrange(key)
    assert drain() == 3

    # The entries as they were had the drain died after its commit, before deleting them.
    for _, fields in entries:
        client.xadd(key, fields)
    assert drain() == 3

    reader = reader_id_verify(reader_id)
    assert MeteredRead.objects.filter(**reader.meter_filter("meter__")).count() == 3
    assert ReaderVersion.objects.get(reader_key=reader.key).version == 3
    assert pending() == 0


def test_a_drain_killed_before_its_commit_loses_nothing(anonymous_client, stripe):
    reader_id, _ = anonymous_reads(anonymous_client, "a1", "a2")
    reader = reader_id_verify(reader_id)
    month = month_start(timezone.now())
    hold, release = threading.Event(), threading.Event()

    def hold_the_meter() -> None:
        """An uncommitted insert of the reader's meter: the drain's own insert waits on it."""
        try:
            with transaction.atomic():
                Meter.objects.create(month=month.date(), **reader.meter_filter())
                hold.set()
                release.wait(60)
                transaction.set_rollback(True)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_meter)
    holder.start()
    assert hold.wait(10)
    try:
        with celery_worker(
            stripe_url=stripe.url,
            stripe_key=stripe.api_key,
            env={"CELERY_TASK_TIME_LIMIT": str(TIME_LIMIT)},
        ) as worker:
            drain_metered_reads.delay()
            assert wait_for(lambda: waiting_on_a_lock() >= 1)
            worker.kill()  # mid-batch: its transaction never commits
            worker.wait()
    finally:
        release.set()
        holder.join()

    assert (MeteredRead.objects.count(), pending()) == (0, 2)  # nothing drained, nothing lost
    time.sleep(TIME_LIMIT + 0.5)  # the killed drain's lock lapses
    assert drain() == 2
    assert MeteredRead.objects.filter(**reader.meter_filter("meter__")).count() == 2
