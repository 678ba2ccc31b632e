"""The hot copy of decisions, in Django's cache (Redis when configured).

Every cache call goes through here and never raises: Django's RedisCache
raises on a connection error, and a cache outage must only cost speed, the
answers then come from the database (docs/architecture.md, "Sources of
truth"; /readyz reports "degraded").

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
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# What Django's RedisCache lets through when Redis is down, slow or refusing.
CACHE_ERRORS = (RedisError, OSError)

_PREFIX = "ent"

# read_pair's answer when the cache failed: skip the cache for the rest of the request.
FAILED = object()


def _warn(operation: str, exc: Exception) -> None:
    logger.warning("entitlements cache %s failed: %s: %s", operation, type(exc).__name__, exc)


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
        return fast  # type: ignore[no-any-return]
    if isinstance(backend, RedisCache):
        client = backend._cache.get_client(write=False)
        loads = backend._cache._serializer.loads
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
    try:
        generation, decision = _hot_mget(caches["default"])(
            [generation_key(reader_key), decision_key(reader_key)]
        )
    except CACHE_ERRORS as exc:
        _warn("read", exc)
        return None, FAILED
    return generation, decision


def generation_ensure(reader_key: str) -> str | None:
    """The reader's current generation, created if missing; None when the cache fails."""
    key = generation_key(reader_key)
    token = uuid.uuid4().hex
    try:
        if cache.add(key, token, timeout=_generation_timeout()):
            return token
        return cache.get(key)
    except CACHE_ERRORS as exc:
        _warn("generation", exc)
        return None


def generation_bump(reader_key: str) -> bool:
    """Invalidate every decision cached for this reader. False when the cache failed."""
    try:
        cache.set(generation_key(reader_key), uuid.uuid4().hex, timeout=_generation_timeout())
    except CACHE_ERRORS as exc:
        logger.error("entitlements cache invalidation failed for %s: %s", reader_key, exc)
        return False
    return True


def store(key: str, value: Any, timeout: float) -> None:
    if timeout <= 0:
        return
    try:
        cache.set(key, value, timeout=timeout)
    except CACHE_ERRORS as exc:
        _warn("write", exc)


def store_if_absent(key: str, value: Any, timeout: float) -> None:
    try:
        cache.add(key, value, timeout=timeout)
    except CACHE_ERRORS as exc:
        _warn("write", exc)


def fetch(key: str) -> Any:
    try:
        return cache.get(key)
    except CACHE_ERRORS as exc:
        _warn("read", exc)
        return None


def forget(key: str) -> None:
    try:
        cache.delete(key)
    except CACHE_ERRORS as exc:
        _warn("delete", exc)
