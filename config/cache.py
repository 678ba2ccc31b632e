"""A cache outage costs a request at most one short socket timeout.

Django's RedisCache raises when Redis refuses connections or does not answer
within the socket timeout (REDIS_SOCKET_TIMEOUT_SECONDS). Code that can do
without the cache (the sign-in throttles, the entitlements cache) asks
`cache_usable()` before a call and reports a failure with `cache_failed()`:
after a failure the cache is left alone for CACHE_OUTAGE_RETRY_SECONDS, so
a hung Redis makes one request wait for one timeout, and the requests that
follow in that time do not wait at all. Then the cache is tried again.

The state lives on the cache backend object, which Django keeps per thread:
each worker thread learns of an outage by itself (one timeout each), and a
new CACHES setting (a test's override) starts afresh. The first failure of
an outage is logged at ERROR; the rest of that window is silent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import caches
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# What Django's RedisCache lets through when Redis is down, slow or refusing.
CACHE_ERRORS = (RedisError, OSError)

_ATTRIBUTE = "_outage_retry_at"

T = TypeVar("T")
D = TypeVar("D")


def _backend(backend: Any) -> Any:
    return caches["default"] if backend is None else backend


def cache_usable(backend: Any = None) -> bool:
    """False while the cache is being left alone after a failure."""
    retry_at = getattr(_backend(backend), _ATTRIBUTE, None)
    return retry_at is None or time.monotonic() >= retry_at


def cache_failed(*, operation: str, exc: BaseException, backend: Any = None) -> None:
    """Record a failed cache call: skip the cache for a while, log the outage once."""
    backend = _backend(backend)
    first = getattr(backend, _ATTRIBUTE, None) is None
    seconds = float(settings.CACHE_OUTAGE_RETRY_SECONDS)
    setattr(backend, _ATTRIBUTE, time.monotonic() + seconds)
    if first:
        logger.error(
            "cache unavailable (%s failed: %s: %s): sign-in throttles count in the database "
            "and entitlements are computed from it; the cache is tried again every %g s",
            operation,
            type(exc).__name__,
            exc,
            seconds,
        )


def cache_recovered(backend: Any = None) -> None:
    """A cache call succeeded: the next failure is a new outage (logged again)."""
    backend = _backend(backend)
    if getattr(backend, _ATTRIBUTE, None) is not None:
        delattr(backend, _ATTRIBUTE)
        logger.warning("cache available again")


def cache_call(*, operation: str, fn: Callable[[Any], T], default: D) -> T | D:
    """fn(cache) on the default cache; `default` when it fails or is left alone after a failure.

    The one way code that can do without the cache calls it: usable? call;
    a failure starts (or extends) the outage window, a success ends it.
    """
    backend = caches["default"]
    if not cache_usable(backend):
        return default
    try:
        result = fn(backend)
    except CACHE_ERRORS as exc:
        cache_failed(operation=operation, exc=exc, backend=backend)
        logger.warning("cache %s failed: %s: %s", operation, type(exc).__name__, exc)
        return default
    cache_recovered(backend)
    return result
