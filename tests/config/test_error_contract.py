"""Every answer under /api/ is JSON in the contract's error shape, whatever goes wrong.

{"detail": "human sentence", "code": "machine_code"} for every status, including
what Django itself answers before (or instead of) a view: a bad Host, a body that
is too large or too deeply nested, a Content-Length that is not a number, an
unknown path with DEBUG on (docs/operations.md, "Errors under /api/").
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest

from config.parsers import MAX_DEPTH

pytestmark = pytest.mark.django_db

DEEP = b"[" * 100_000


def assert_contract_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert isinstance(body["code"], str)
    if code is not None:
        assert body["code"] == code
    return body


def test_a_deeply_nested_body_on_login_is_a_json_400_not_a_crash(client):
    response = client.post("/api/auth/login/", DEEP, content_type="application/json")

    assert_contract_error(response, 400, "json_too_deep")


def test_a_deeply_nested_body_on_trial_start_is_a_json_400_not_a_crash(reader_client):
    response = reader_client.generic(
        "POST", "/api/billing/trial/", DEEP, content_type="application/json"
    )

    assert_contract_error(response, 400, "json_too_deep")


def test_a_body_nested_past_the_limit_is_refused_even_when_it_would_parse(client):
    nested = b'{"email": ' + b"[" * MAX_DEPTH + b"]" * MAX_DEPTH + b"}"

    response = client.post("/api/auth/login/", nested, content_type="application/json")

    assert_contract_error(response, 400, "json_too_deep")


def test_a_content_length_that_is_not_a_number_is_a_json_400(client):
    response = client.generic(
        "POST",
        "/api/billing/webhooks/stripe/",
        b"{}",
        content_type="application/json",
        CONTENT_LENGTH="abc",
        HTTP_STRIPE_SIGNATURE="t=1,v1=00",
    )

    assert_contract_error(response, 400, "invalid_content_length")


def _raw_http(url: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """One raw HTTP/1.1 exchange: a client library would refuse to send a bad Content-Length."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize("path", ["/api/billing/webhooks/stripe/", "/api/auth/login/"])
def test_a_content_length_that_is_not_a_number_is_a_json_400_from_a_real_server(live_server, path):
    host = urlsplit(live_server.url).hostname
    status, headers, body = _raw_http(
        live_server.url,
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        "Stripe-Signature: t=1,v1=00\r\nContent-Length: abc\r\n"
        "Connection: close\r\n\r\n{}".encode(),
    )

    assert status == 400
    assert headers["content-type"].startswith("application/json")
    assert b'"code": "invalid_content_length"' in body


def test_an_oversized_body_is_a_json_413_with_debug_off(client, settings):
    settings.DEBUG = False
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = b'{"email": "reader@example.com", "password": "' + b"x" * 2000 + b'"}'

    response = client.post("/api/auth/login/", body, content_type="application/json")

    assert_contract_error(response, 413, "payload_too_large")


def test_a_bad_host_is_a_json_400_with_debug_off(client, settings):
    settings.DEBUG = False

    response = client.get("/api/billing/plans/", HTTP_HOST="attacker.example")

    assert_contract_error(response, 400, "bad_host")


def test_a_bad_host_outside_the_api_keeps_djangos_answer(client, settings):
    settings.DEBUG = False

    response = client.get("/admin/login/", HTTP_HOST="attacker.example")

    assert response.status_code == 400
    assert not response["Content-Type"].startswith("application/json")


def test_an_unknown_api_path_is_a_json_404_with_debug_on(client, settings):
    settings.DEBUG = True

    response = client.get("/api/no-such-thing/")

    assert_contract_error(response, 404, "not_found")


def test_a_wrong_method_on_the_schema_and_docs_is_a_json_405(client):
    for method, path in (("DELETE", "/api/schema/"), ("POST", "/api/docs/")):
        response = client.generic(method, path)

        assert_contract_error(response, 405, "method_not_allowed")


def test_an_unsupported_media_type_is_a_json_415(client):
    response = client.post(
        "/api/auth/login/",
        "email=reader%40example.com&password=x",
        content_type="application/x-www-form-urlencoded",
    )

    assert_contract_error(response, 415, "unsupported_media_type")


def test_an_unacceptable_accept_header_on_the_schema_is_a_json_406(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="text/html")

    assert_contract_error(response, 406, "not_acceptable")
