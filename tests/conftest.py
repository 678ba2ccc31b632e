"""Fixtures shared by every test folder.

Tests that need a real PostgreSQL or Redis use the `postgres` / `redis`
markers. Where the service is absent they skip, unless REQUIRE_SERVICES=1
(set by .ci/run), which turns the skip into a failure.
"""

from __future__ import annotations

import contextlib
import os

import pytest
from django.conf import settings
from django.core.cache import cache

pytest_plugins = ["stripe_emulator.pytest_plugin"]

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES", "").lower() in {"1", "true", "yes"}


def _skip_or_fail(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (REQUIRE_SERVICES is set, so this cannot be skipped)")
    pytest.skip(reason)


def postgres_configured() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def redis_configured() -> bool:
    return bool(settings.REDIS_URL)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres") and not postgres_configured():
        _skip_or_fail("needs PostgreSQL: set DATABASE_URL=postgres://...")
    if item.get_closest_marker("redis") and not redis_configured():
        _skip_or_fail("needs Redis: set REDIS_URL=redis://...")


def _clear_test_cache() -> None:
    """Empty this run's cache only.

    Redis's cache.clear() is FLUSHDB, which would also wipe a Celery broker or
    another run sharing the database: delete this run's key prefix instead.
    """
    if settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        import redis

        client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
        prefix = settings.CACHES["default"]["KEY_PREFIX"]
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Each test starts with an empty cache (throttle counters, cached decisions)."""
    with contextlib.suppress(Exception):  # a cache broken on purpose has nothing to clear
        _clear_test_cache()


@pytest.fixture
def api_client():  # type: ignore[no-untyped-def]
    from rest_framework.test import APIClient

    return APIClient()
