"""Redis down: the answers still come, right, from the database; /readyz says degraded."""

import pytest
from django.test import override_settings

from entitlements.models import MeteredRead
from tests.helpers.entitlements import ME, read

pytestmark = pytest.mark.django_db

REDIS_DOWN = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        "KEY_PREFIX": "entitlements-down",
    }
}


@pytest.fixture
def redis_down():
    with override_settings(CACHES=REDIS_DOWN):
        yield


def test_decisions_come_from_the_database(redis_down, reader, reader_client):
    from entitlements.services import grant_create

    body = reader_client.get(ME).json()
    assert body["reason"] == "metered"
    assert body["metered"]["remaining"] == 3

    from datetime import timedelta

    from django.utils import timezone

    grant_create(
        reader=reader, ends_at=timezone.now() + timedelta(days=1), reason="x", granted_by=None
    )
    assert reader_client.get(ME).json()["reason"] == "grant"


def test_the_limit_holds(redis_down, reader_client, anonymous_client):
    for client in (reader_client, anonymous_client):
        outcomes = [read(client, article).json() for article in ("a1", "a2", "a3", "a4", "a1")]

        assert [o["granted"] for o in outcomes] == [True, True, True, False, True]
        assert [o["remaining"] for o in outcomes] == [2, 1, 0, 0, 0]
        assert client.get(ME).json()["reason"] == "limit_reached"
    assert MeteredRead.objects.count() == 6


def test_service_keys_still_work(redis_down, reader, service_key):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {service_key}")

    assert client.get(f"/api/entitlements/readers/{reader.pk}/").status_code == 200


def test_readyz_reports_the_cache_degraded_with_200(redis_down, client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["cache"] == "degraded"
    assert response.json()["database"] == "ok"


HUNG_TIMEOUT = 1.5


def test_a_hung_redis_costs_a_read_at_most_one_socket_timeout(reader_client):
    import time

    from tests.outage import hung_server, redis_cache_at

    with (
        hung_server() as port,
        override_settings(
            CACHES=redis_cache_at(port, socket_timeout=HUNG_TIMEOUT, prefix="ent-hung")
        ),
    ):
        started = time.monotonic()
        first = read(reader_client, "a1")
        first_elapsed = time.monotonic() - started
        started = time.monotonic()
        second = read(reader_client, "a2")
        second_elapsed = time.monotonic() - started

    assert [first.json()["remaining"], second.json()["remaining"]] == [2, 1]
    # One timeout (a read, a generation and a store would each have waited for one)...
    assert HUNG_TIMEOUT <= first_elapsed < HUNG_TIMEOUT + 1.0
    # ...and then the cache is left alone for a while.
    assert second_elapsed < HUNG_TIMEOUT / 2
