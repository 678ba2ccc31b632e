"""Anonymous readers' meters in Redis, written behind into PostgreSQL (METER_STORE=redis).

docs/performance.md, "Anonymous metered reads". An anonymous reader's month is
one Redis hash ("#v": the reader's version, "a:<article>": when it was read,
in ms). One Lua script counts a read: already counted? fewer than the limit?
then the article joins the hash, the version moves, the read is appended to a
stream and the reader's cached decision is invalidated (its generation key
goes), all atomically in one round trip: the limit is exact under concurrency
as the meter row's lock made it, without a PostgreSQL transaction.

meter_drain moves the stream into Meter, MeteredRead and ReaderVersion (one
INSERT ... ON CONFLICT per table and batch) and deletes the entries from the
stream only after the commit: a drain killed before that is replayed, and the
unique (meter, article) makes the replay harmless.

A missing hash (a reader back after METER_REDIS_SECONDS, an eviction, a lost
Redis) is rebuilt from the stream's undrained reads of that reader, then
PostgreSQL, in that order: a read drained in between is in PostgreSQL by then,
so none is lost, and the union by article counts none twice. A rebuild moves
the version past every one it can know of. Each function answers None when
Redis is out: the callers fall back to PostgreSQL (entitlements.services).
Accounts are never metered here: their meters are what a merge writes into
and an erasure deletes, under the meter row's lock in PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.utils import timezone

from config.cache import cache_call
from entitlements.cache import generation_key
from entitlements.models import MeteredRead, ReaderVersion
from entitlements.readers import Reader

STREAM = "ent:meter:stream"
DRAIN_LOCK = "ent:meter:drain"
VERSION = b"#v"
ARTICLE = b"a:"
# How many entries the rebuild's scan reads at a time (in the script, on the server).
_SCAN_PAGE = 500

# Codes of the count script's answer.
_MISSING, _REFUSED, _COUNTED_BEFORE, _COUNTED = -1, 0, 1, 2

_COUNT = """
local meter = KEYS[1]
if redis.call('EXISTS', meter) == 0 then
  if ARGV[6] ~= '1' then return {-1, 0, 0} end
  redis.call('HSET', meter, '#v', 0)
end
local field = 'a:' .. ARGV[1]
local used = redis.call('HLEN', meter) - 1
if redis.call('HEXISTS', meter, field) == 1 then
  return {1, used, tonumber(redis.call('HGET', meter, '#v'))}
end
if used >= tonumber(ARGV[2]) then
  return {0, used, tonumber(redis.call('HGET', meter, '#v'))}
end
redis.call('HSET', meter, field, ARGV[3])
local version = redis.call('HINCRBY', meter, '#v', 1)
redis.call('XADD', KEYS[2], '*', 'r', ARGV[4], 'm', ARGV[5], 'a', ARGV[1], 't', ARGV[3],
  'v', version)
redis.call('DEL', KEYS[3])
redis.call('EXPIRE', meter, ARGV[7])
return {2, used + 1, version}
"""

_SCAN = """
local found = {}
local start = '-'
while true do
  local entries = redis.call('XRANGE', KEYS[1], start, '+', 'COUNT', tonumber(ARGV[3]))
  for _, entry in ipairs(entries) do
    local f = entry[2]
    local row = {}
    for i = 1, #f, 2 do row[f[i]] = f[i + 1] end
    if row['r'] == ARGV[1] and row['m'] == ARGV[2] then
      table.insert(found, row['a'])
      table.insert(found, row['t'])
      table.insert(found, row['v'])
    end
  end
  if #entries < tonumber(ARGV[3]) then break end
  start = '(' .. entries[#entries][1]
end
return found
"""

_INSTALL = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], '#v', ARGV[2], unpack(ARGV, 3))
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return redis.call('HGETALL', KEYS[1])
"""

_BUMP = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], '#v', 1)
end
return 1
"""

_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

UNAVAILABLE: Any = object()


@dataclass(frozen=True, slots=True)
class MeterSnapshot:
    """A reader's month as Redis holds it: the reads, oldest first, and the version."""

    reads: tuple[tuple[str, datetime], ...]
    version: int

    @property
    def articles(self) -> tuple[str, ...]:
        return tuple(article for article, _ in self.reads)


@dataclass(frozen=True, slots=True)
class Counted:
    granted: bool
    used: int
    version: int


def meter_store_active(reader: Reader) -> bool:
    """Is this reader metered in Redis? An anonymous reader with METER_STORE=redis."""
    return (
        reader.anonymous_id is not None
        and settings.METER_STORE == "redis"
        and isinstance(caches["default"], RedisCache)
    )


class _Redis:
    """The raw client on Django's cache connection pool, its key names and the scripts."""

    def __init__(self, backend: Any) -> None:
        private: Any = backend  # RedisCache._cache is private: django-stubs omit it
        self.client = private._cache.get_client(write=True)
        self.key = backend.make_key
        self.count = self.client.register_script(_COUNT)
        self.scan = self.client.register_script(_SCAN)
        self.install = self.client.register_script(_INSTALL)
        self.bump = self.client.register_script(_BUMP)
        self.unlock = self.client.register_script(_UNLOCK)


def _redis(backend: Any) -> _Redis:
    found = getattr(backend, "_entitlements_meter", None)
    if found is None:
        found = backend._entitlements_meter = _Redis(backend)
    return found


# Meters (and their readers' generations) this process counted in PostgreSQL while
# Redis was out: stale in Redis, deleted first thing once Redis answers again. The
# fast path only: Meter.redis_stale holds the same in PostgreSQL, and the drain
# deletes them too (meter_drain.meter_stale_forget) should this process die first.
_STALE: set[str] = set()


def redis_call(operation: str, fn: Any) -> Any:
    """fn(_Redis) on the cache's Redis; UNAVAILABLE when Redis is out (config.cache)."""

    def call(backend: Any) -> Any:
        r = _redis(backend)
        if _STALE:
            stale = list(_STALE)
            r.client.delete(*[r.key(key) for key in stale])
            _STALE.difference_update(stale)
        return fn(r)

    return cache_call(operation=f"meter {operation}", fn=call, default=UNAVAILABLE)


def meter_forget_later(*, reader: Reader, month: datetime) -> None:
    """A read was counted in PostgreSQL because Redis was out: the reader's meter in
    Redis (if it survived) lacks it, so it goes as soon as Redis answers this process
    again, and the next read rebuilds it from PostgreSQL."""
    _STALE.update(_reader_keys(reader, month))


def meter_forget(*, meters: list[tuple[Reader, date]]) -> bool:
    """Delete these readers' meters (and generations) in Redis now, so that their next
    read rebuilds them from PostgreSQL. True once Redis did; False when it is out."""
    keys = [key for reader, month in meters for key in _reader_keys(reader, month)]
    if not keys:
        return True
    done = redis_call("forget", lambda r: r.client.delete(*[r.key(key) for key in keys]))
    return done is not UNAVAILABLE


def month_label(month: date) -> str:
    return f"{month:%Y-%m}"


def _reader_keys(reader: Reader, month: date) -> tuple[str, str]:
    return _meter_key(reader, month), generation_key(reader.key)


def _meter_key(reader: Reader, month: date) -> str:
    return f"ent:m:{reader.key}:{month_label(month)}"


def _ttl(now: datetime, month: datetime) -> int:
    """How long a meter stays in Redis: METER_REDIS_SECONDS, never a day past its month.

    Seconds from now, not a moment: Redis's clock need not agree with ours.
    """
    month_end = (month + timedelta(days=32)).replace(day=1) + timedelta(days=1)
    left = (month_end - now).total_seconds()
    return max(int(min(settings.METER_REDIS_SECONDS, left)), 60)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def from_ms(value: bytes | str | int) -> datetime:
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)


def _snapshot(flat: list[Any] | dict[bytes, bytes]) -> MeterSnapshot:
    pairs = flat.items() if isinstance(flat, dict) else zip(flat[::2], flat[1::2], strict=True)
    reads, version = [], 0
    for field, value in pairs:
        if field == VERSION:
            version = int(value)
        elif field.startswith(ARTICLE):
            reads.append((int(value), field[len(ARTICLE) :].decode()))
    reads.sort()
    return MeterSnapshot(tuple((a, from_ms(ms)) for ms, a in reads), version)


def meter_snapshot(*, reader: Reader, month: datetime) -> MeterSnapshot | None:
    """The reader's month from Redis, rebuilt when missing; None when Redis is out."""
    key = _meter_key(reader, month)
    found = redis_call("read", lambda r: r.client.hgetall(r.key(key)))
    if found is UNAVAILABLE:
        return None
    if found:
        return _snapshot(found)
    return _rebuild(reader=reader, month=month)


def _rebuild(*, reader: Reader, month: datetime) -> MeterSnapshot | None:
    label = month_label(month)
    pending = redis_call(
        "rebuild", lambda r: r.scan(keys=[r.key(STREAM)], args=[reader.key, label, _SCAN_PAGE])
    )
    if pending is UNAVAILABLE:
        return None
    # PostgreSQL after the stream: what a drain took from it in between is there now.
    reads = dict(
        MeteredRead.objects.filter(meter__month=month.date(), **reader.meter_filter("meter__"))
        .order_by("read_at", "id")
        .values_list("article_id", "read_at")
    )
    known = ReaderVersion.objects.filter(reader_key=reader.key).values_list("version", flat=True)
    version = known.first() or 0
    times = {article: _ms(read_at) for article, read_at in reads.items()}
    for article, ms, read_version in zip(pending[::3], pending[1::3], pending[2::3], strict=True):
        times.setdefault(article.decode(), int(ms))
        version = max(version, int(read_version))
    # A rebuild counts as a change: its version is past every one handed out before.
    fields: list[Any] = []
    for article, ms in times.items():
        fields += [f"a:{article}", ms]
    ttl = _ttl(timezone.now(), month)
    key = _meter_key(reader, month)
    installed = redis_call(
        "rebuild",
        lambda r: r.install(keys=[r.key(key)], args=[ttl, version + 1, *fields]),
    )
    return None if installed is UNAVAILABLE else _snapshot(installed)


def meter_count(
    *, reader: Reader, article_id: str, now: datetime, month: datetime, limit: int
) -> Counted | None:
    """Count one read in Redis: (granted, articles used, version); None when Redis is out."""
    key = _meter_key(reader, month)

    def count(r: _Redis) -> list[int]:
        keys = [r.key(key), r.key(STREAM), r.key(generation_key(reader.key))]
        args = [
            article_id,
            limit,
            _ms(now),
            reader.key,
            month_label(month),
            "1" if reader.is_new else "0",
            _ttl(now, month),
        ]
        answer: list[int] = r.count(keys=keys, args=args)
        return answer

    answer = redis_call("count", count)
    if answer is not UNAVAILABLE and answer[0] == _MISSING:
        # A returning reader whose meter is not in Redis: rebuild it, then count.
        if meter_snapshot(reader=reader, month=month) is None:
            return None
        answer = redis_call("count", count)
    if answer is UNAVAILABLE or answer[0] == _MISSING:
        return None
    status, used, version = answer
    return Counted(status != _REFUSED, int(used), int(version))


def meter_version_bump(*, reader: Reader, month: datetime) -> None:
    """The reader's decision moved for another reason: their Redis version moves too."""
    key = _meter_key(reader, month)
    redis_call("invalidation", lambda r: r.bump(keys=[r.key(key)]))
