"""The drain: anonymous reads counted in Redis into PostgreSQL (entitlements.meter_store).

Every METER_DRAIN_SECONDS (entitlements.tasks.drain_metered_reads) a batch of
METER_DRAIN_BATCH entries is read from the stream and written in one
transaction: the meters (INSERT ... ON CONFLICT DO NOTHING), the reads (one
INSERT ... ON CONFLICT DO NOTHING: unique (meter, article)) and each reader's
highest version (never lowered). The entries leave the stream only after the
commit: a drain killed before is replayed, and the replay adds nothing.

Each run also deletes the Redis hashes of meters counted in PostgreSQL while
Redis was out (Meter.redis_stale), then clears their marks: meter_stale_forget.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from functools import reduce
from operator import or_

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection, transaction
from django.db.models import Q

from entitlements.meter_store import (
    DRAIN_LOCK,
    STREAM,
    UNAVAILABLE,
    from_ms,
    meter_forget,
    redis_call,
)
from entitlements.models import Meter, MeteredRead, ReaderVersion
from entitlements.readers import Reader


@dataclass(frozen=True, slots=True)
class _Entry:
    reader_key: str
    month: date
    article_id: str
    read_at: datetime
    version: int


def _entry(fields: dict[bytes, bytes]) -> _Entry:
    year, month = fields[b"m"].decode().split("-")
    return _Entry(
        fields[b"r"].decode(),
        date(int(year), int(month), 1),
        fields[b"a"].decode(),
        from_ms(fields[b"t"]),
        int(fields[b"v"]),
    )


def _store(entries: list[_Entry]) -> None:
    """One batch into PostgreSQL, in one transaction: meters, reads, versions."""
    entries = sorted(entries, key=lambda e: (e.reader_key, e.month, e.article_id))
    pairs = sorted({(uuid.UUID(e.reader_key[1:]), e.month) for e in entries})
    versions: dict[str, tuple[int, datetime]] = {}
    for e in entries:  # each reader's highest version, and its last read
        latest = (e.version, e.read_at)
        versions[e.reader_key] = max(versions.get(e.reader_key, latest), latest)
    with transaction.atomic():
        Meter.objects.bulk_create(
            [Meter(anonymous_id=a, month=m) for a, m in pairs], ignore_conflicts=True
        )
        meters = {
            (anonymous_id, month): pk
            for pk, anonymous_id, month in Meter.objects.filter(
                anonymous_id__in={a for a, _ in pairs}, month__in={m for _, m in pairs}
            ).values_list("id", "anonymous_id", "month")
        }
        MeteredRead.objects.bulk_create(
            [
                MeteredRead(
                    meter_id=meters[(uuid.UUID(e.reader_key[1:]), e.month)],
                    article_id=e.article_id,
                    read_at=e.read_at,
                )
                for e in entries
            ],
            ignore_conflicts=True,
        )
        table = ReaderVersion._meta.db_table
        rows = sorted(versions.items())
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (reader_key, version, changed_at) VALUES "  # noqa: S608 - our table's name
                + ", ".join(["(%s, %s, %s)"] * len(rows))
                + f" ON CONFLICT (reader_key) DO UPDATE SET version = CASE WHEN "
                f"excluded.version > {table}.version THEN excluded.version "
                f"ELSE {table}.version END, changed_at = excluded.changed_at",
                [value for key, (v, at) in rows for value in (key, v, at)],
            )


def meter_drain_batch(*, size: int | None = None) -> int:
    """Move up to `size` (METER_DRAIN_BATCH) reads from the stream into PostgreSQL.

    The entries leave the stream only once their batch committed. Returns how many.
    """
    size = int(settings.METER_DRAIN_BATCH) if size is None else size
    found = redis_call("drain", lambda r: r.client.xrange(r.key(STREAM), count=size))
    if found is UNAVAILABLE or not found:
        return 0
    _store([_entry(fields) for _, fields in found])
    ids = [entry_id for entry_id, _ in found]
    redis_call("drain", lambda r: r.client.xdel(r.key(STREAM), *ids))
    return len(found)


def meter_stale_forget(*, size: int | None = None) -> int:
    """Up to `size` (METER_DRAIN_BATCH) meters counted in PostgreSQL while Redis was
    out (Meter.redis_stale): their hashes and generations in Redis go, then their marks.

    A mark is cleared only once Redis deleted (Redis out: the marks stay, the next
    run tries again), and only if no fallback read marked the meter again since it
    was read here (`redis_marks` unchanged): such a read may be missing from a hash
    rebuilt in between. Returns how many marks were cleared.
    """
    size = int(settings.METER_DRAIN_BATCH) if size is None else size
    # Any of them, in no order (the partial index answers): each leaves once cleared.
    marked = list(
        Meter.objects.filter(redis_stale=True).values_list(
            "id", "anonymous_id", "month", "redis_marks"
        )[:size]
    )
    if not marked:
        return 0
    readers = [(Reader(anonymous_id=a.hex), month) for _, a, month, _ in marked if a is not None]
    if not meter_forget(meters=readers):
        return 0
    unchanged = reduce(or_, (Q(pk=pk, redis_marks=marks) for pk, _, _, marks in marked))
    return Meter.objects.filter(unchanged, redis_stale=True).update(redis_stale=False)


def meter_drain(*, size: int | None = None, batches: int = 100) -> int:
    """Drain the stream, at most `batches` batches; one drain at a time (a Redis lock).

    With METER_STORE=database too: what a redis setting left in the stream still
    reaches PostgreSQL. Then one batch of meters stale in Redis (meter_stale_forget).

    Two drains at once would still count nothing twice (ON CONFLICT DO NOTHING);
    the lock only saves them doing the same work. Returns how many reads moved.
    """
    if not isinstance(caches["default"], RedisCache):
        return 0  # no Redis, no stream (METER_STORE=database then: nothing to do)
    token = uuid.uuid4().hex
    # A killed drain's lock lapses within 30 s (sooner with a shorter task time limit).
    timeout = min(int(settings.CELERY_TASK_TIME_LIMIT), 30)
    locked = redis_call(
        "drain", lambda r: r.client.set(r.key(DRAIN_LOCK), token, nx=True, ex=timeout)
    )
    if locked is UNAVAILABLE or not locked:
        return 0
    moved = 0
    try:
        size = int(settings.METER_DRAIN_BATCH) if size is None else size
        for _ in range(batches):
            done = meter_drain_batch(size=size)
            moved += done
            if done < size:
                break
        meter_stale_forget(size=size)
    finally:
        redis_call("drain", lambda r: r.unlock(keys=[r.key(DRAIN_LOCK)], args=[token]))
    return moved


def meter_pending() -> int | None:
    """How many counted reads wait in the stream (None when Redis is out)."""
    found = redis_call("pending", lambda r: r.client.xlen(r.key(STREAM)))
    return None if found is UNAVAILABLE else int(found)
