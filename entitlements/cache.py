"""The hot copy of decisions, in Django's cache (Redis when configured).

Every cache call goes through here and never raises: Django's RedisCache
raises on a connection error, and a cache outage must only cost speed, the
answers then come from the database (docs/architecture.md, "Sources of
truth"; /readyz reports "degraded"). After a failure the cache is left alone
for a few seconds (config.cache), so a hung Redis costs a request at most one
socket timeout.

Invalidation without races: each reader has a generation key, and a cached
decision records the generation it was computed under. Invalidating writes a
new generation; a decision computed from the database while an invalidation
happened carries the old generation and is ignored. Both keys come back in
one round trip (get_many is one MGET on Redis).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache.backends.redis import RedisCache

from config.cache import cache_call

logger = logging.getLogger(__name__)

_PREFIX = "ent"

T = TypeVar("T")

# read_pair's answer when the cache failed: skip the cache for the rest of the request.
FAILED = object()


def _call(operation: str, fn: Callable[[Any], T], default: T) -> T:
    return cache_call(operation=f"entitlements {operation}", fn=fn, default=default)


def _generation_timeout() -> int:
    # Outlives any decision stored under it; when it expires, the next read recomputes.
    return int(settings.ENTITLEMENTS_CACHE_SECONDS) + 60


def generation_key(reader_key: str) -> str:
    return f"{_PREFIX}:g:{reader_key}"


def decision_key(reader_key: str) -> str:
    return f"{_PREFIX}:d:{reader_key}"


def _hot_mget(backend: Any) -> Callable[[list[str]], list[Any]]:
    """A get_many for the hot path, made once per cache backend.

    Django's RedisCache builds a new redis.Redis client object for every call
    (a few hundred dict insertions, more than the round trip itself on a
    local Redis). This keeps one client on Django's own connection pool, with
    Django's keys and serializer, so the answer is the same, only cheaper.
    """
    fast = getattr(backend, "_entitlements_mget", None)
    if fast is not None:
        return fast
    if isinstance(backend, RedisCache):
        private: Any = backend  # RedisCache._cache is private: django-stubs omit it
        client = private._cache.get_client(write=False)
        loads = private._cache._serializer.loads
        make_key = backend.make_key

        def fast(keys: list[str]) -> list[Any]:
            values = client.mget([make_key(key) for key in keys])
            return [None if value is None else loads(value) for value in values]

    else:

        def fast(keys: list[str]) -> list[Any]:
            found = backend.get_many(keys)
            return [found.get(key) for key in keys]

    backend._entitlements_mget = fast
    return fast


def read_pair(reader_key: str) -> tuple[str | None, Any]:
    """(generation, cached decision) for one reader, in one round trip.

    (None, FAILED) when the cache failed.
    """
    keys = [generation_key(reader_key), decision_key(reader_key)]
    return _call("read", lambda backend: tuple(_hot_mget(backend)(keys)), (None, FAILED))


def generation_ensure(reader_key: str) -> str | None:
    """The reader's current generation, created if missing; None when the cache fails."""
    key = generation_key(reader_key)
    token = uuid.uuid4().hex

    def ensure(backend: Any) -> str | None:
        if backend.add(key, token, timeout=_generation_timeout()):
            return token
        return backend.get(key)

    return _call("generation", ensure, None)


def generation_bump(reader_key: str) -> bool:
    """Invalidate every decision cached for this reader. False when the cache failed."""

    def bump(backend: Any) -> bool:
        backend.set(generation_key(reader_key), uuid.uuid4().hex, timeout=_generation_timeout())
        return True

    if _call("invalidation", bump, False):
        return True
    logger.error("entitlements cache invalidation failed for %s: the cache is out", reader_key)
    return False


def store(key: str, value: Any, timeout: float) -> None:
    if timeout > 0:
        _call("write", lambda backend: backend.set(key, value, timeout=timeout), None)


def store_if_absent(key: str, value: Any, timeout: float) -> None:
    _call("write", lambda backend: backend.add(key, value, timeout=timeout), None)


def fetch(key: str) -> Any:
    return _call("read", lambda backend: backend.get(key), None)
