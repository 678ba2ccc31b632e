"""A frontend on another origin: CORS answers with credentials for configured origins
(CORS_ALLOWED_ORIGINS), and nothing for others."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

FRONTEND = "https://www.publisher.example"
READ = "/api/entitlements/articles/harbour-town-votes-on-sea-wall/read/"


@pytest.fixture
def cors(settings):
    settings.CORS_ALLOWED_ORIGINS = [FRONTEND]
    return settings


def test_no_origin_is_allowed_by_default(client, settings):
    assert settings.CORS_ALLOWED_ORIGINS == []

    response = client.post(READ, headers={"Origin": FRONTEND})

    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response


def test_a_configured_origin_may_call_with_credentials_and_read_the_reader_id(client, cors):
    response = client.post(READ, headers={"Origin": FRONTEND})

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == FRONTEND
    assert response["Access-Control-Allow-Credentials"] == "true"
    assert "x-reader-id" in response["Access-Control-Expose-Headers"].lower()


def test_another_origin_gets_no_cors_headers(client, cors):
    response = client.post(READ, headers={"Origin": "https://evil.example"})

    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Allow-Credentials" not in response


def test_the_preflight_allows_the_headers_a_frontend_sends(client, cors):
    response = client.options(
        READ,
        headers={
            "Origin": FRONTEND,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, x-reader-id",
        },
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == FRONTEND
    allowed = response["Access-Control-Allow-Headers"].lower()
    for header in ("authorization", "content-type", "x-reader-id"):
        assert header in allowed


def test_json_errors_carry_the_cors_headers_too(client, cors):
    response = client.post(READ, headers={"Origin": FRONTEND, "X-Reader-Id": "forged"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_reader_id"
    assert response["Access-Control-Allow-Origin"] == FRONTEND


def test_the_demo_pages_are_not_opened_to_other_origins(client, cors):
    cors.DEMO_ENABLED = True

    response = client.get("/demo/", headers={"Origin": FRONTEND})

    assert "Access-Control-Allow-Origin" not in response
