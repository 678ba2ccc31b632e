"""GET /healthz (no dependencies) and GET /readyz (database required, cache and broker reported)."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings

from tests.helpers.settings_probe import start

pytestmark = pytest.mark.django_db

BROKEN_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def test_healthz_answers_without_touching_anything(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_200_when_everything_answers(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["cache"] == "ok"
    assert body["broker"] == "ok"


def test_readyz_reports_a_broken_cache_as_degraded_and_stays_200(client):
    broken = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": BROKEN_REDIS,
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    with override_settings(CACHES=broken):
        response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["cache"] == "degraded"
    assert response.json()["database"] == "ok"


@pytest.mark.redis
def test_readyz_with_a_real_redis_reports_cache_and_broker_ok(client, settings):
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")

    body = client.get("/readyz").json()

    assert (body["cache"], body["broker"]) == ("ok", "ok")


READYZ = """
import json, django
django.setup()
from django.test import Client
response = Client().get("/readyz")
print(json.dumps({"status": response.status_code, "body": response.json()}))
"""


def probe(env: dict[str, str]) -> dict:
    result = start({"DEBUG": "true", **env}, code=READYZ)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_readyz_is_503_when_the_database_does_not_answer():
    answer = probe({"DATABASE_URL": "postgres://postgres@127.0.0.1:1/nowhere"})

    assert answer["status"] == 503
    assert answer["body"]["database"] == "unavailable"
    assert answer["body"]["status"] == "unavailable"


def test_readyz_with_redis_down_reports_cache_and_broker_degraded_but_serves():
    answer = probe({"REDIS_URL": BROKEN_REDIS})

    assert answer["status"] == 200
    assert answer["body"]["cache"] == "degraded"
    assert answer["body"]["broker"] == "degraded"
    assert answer["body"]["database"] == "ok"
