"""Fixtures shared by every test folder.

Tests that need a real PostgreSQL or Redis use the `postgres` / `redis`
markers. Where the service is absent they skip, unless REQUIRE_SERVICES=1
(set by .ci/run), which turns the skip into a failure.
"""

from __future__ import annotations

import contextlib

import pytest
from django.conf import settings
from django.core.cache import cache

from tests.helpers.clients import client_for
from tests.helpers.services import REQUIRE_SERVICES

pytest_plugins = ["stripe_emulator.pytest_plugin"]


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


# --- Stripe (the emulator) and readers ---------------------------------------


@pytest.fixture
def stripe(stripe_emulator, settings):
    """Point billing at a freshly reset emulator."""
    settings.STRIPE_API_BASE = stripe_emulator.url
    settings.STRIPE_SECRET_KEY = stripe_emulator.api_key
    settings.STRIPE_MAX_NETWORK_RETRIES = 0  # our own retry logic is what is under test
    return stripe_emulator


@pytest.fixture
def plans(stripe, db):
    from billing.models import Plan
    from billing.services import plan_sync_catalogue

    plan_sync_catalogue(catalogue=settings.BILLING_PLANS)
    return {plan.code: plan for plan in Plan.objects.all()}


@pytest.fixture
def reader(db):
    from tests.factories import UserFactory

    return UserFactory(email="reader@example.com")


@pytest.fixture
def reader_client(reader):
    return client_for(reader)


@pytest.fixture
def stripe_sdk(stripe):
    """The official SDK pointed at the emulator, to see what really is in 'Stripe'."""
    import stripe as stripe_module  # noqa: TID251 - tests look at Stripe's side directly

    return stripe_module.StripeClient(
        stripe.api_key, base_addresses={"api": stripe.url}, max_network_retries=0
    )


# --- Seed data (made by the commands that make it in production) -------------


@pytest.fixture
def periodic_tasks(db):
    """The periodic jobs as django-celery-beat rows (config/schedule.py)."""
    import io

    from django.core.management import call_command

    call_command("setup_periodic_tasks", stdout=io.StringIO())


@pytest.fixture
def roles(db):
    """The support roles as groups with their permissions (support/roles.py)."""
    import io

    from django.core.management import call_command

    call_command("setup_roles", stdout=io.StringIO())
