"""Server-side surfaces: `Authorization: Api-Key <key>`, on a reader's behalf."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditLog
from entitlements.api_keys import api_key_create, api_key_digest, api_key_revoke
from entitlements.models import ApiKey
from entitlements.services import grant_create
from tests.factories import UserFactory
from tests.helpers.clients import client_for
from tests.helpers.entitlements import ME, read

pytestmark = pytest.mark.django_db


def reader_url(user_id) -> str:
    return f"/api/entitlements/readers/{user_id}/"


def with_key(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def test_a_service_reads_an_account_decision_by_id(service_client, reader):
    grant_create(
        reader=reader, ends_at=timezone.now() + timedelta(days=1), reason="vip", granted_by=None
    )

    response = service_client.get(reader_url(reader.pk))

    assert response.status_code == 200
    assert response.json()["reason"] == "grant"


def test_an_unknown_account_is_a_404(service_client):
    response = service_client.get(reader_url(987654))

    assert response.status_code == 404
    assert response.json()["code"] == "reader_not_found"


def test_a_service_meters_an_account_with_x_user_id(service_client, reader):
    outcome = read(service_client, "a1", HTTP_X_USER_ID=str(reader.pk)).json()

    assert outcome["remaining"] == 2
    assert client_for(reader).get(ME).json()["metered"]["used"] == 1
    me = service_client.get(ME, HTTP_X_USER_ID=str(reader.pk)).json()
    assert me["metered"]["used"] == 1


def test_a_service_meters_an_anonymous_reader_with_x_reader_id(service_client, anonymous_client):
    token = anonymous_client.get(ME)["X-Reader-Id"]

    read(service_client, "a1", HTTP_X_READER_ID=token)

    assert anonymous_client.get(ME).json()["metered"]["used"] == 1


def test_a_service_without_a_reader_gets_a_new_reader_id(service_client):
    response = service_client.get(ME)

    assert response.status_code == 200
    assert response["X-Reader-Id"]


@pytest.mark.parametrize("user_id", ["abc", "0", "-1", "1.5", "9" * 30])
def test_a_malformed_x_user_id_is_a_400(service_client, user_id):
    response = service_client.get(ME, HTTP_X_USER_ID=user_id)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_user_id"


def test_x_user_id_is_refused_without_an_api_key(reader, reader_client, anonymous_client):
    other = UserFactory()

    for client in (reader_client, anonymous_client):
        response = client.get(ME, HTTP_X_USER_ID=str(other.pk))
        assert response.status_code == 403
        assert response.json()["code"] == "api_key_required"


@pytest.mark.parametrize(
    "authorization",
    ["", "Api-Key", "Api-Key wrong", "Api-Key a b", "Token nope", "Api-Key ünicode"],
)
def test_the_reader_endpoint_needs_a_valid_key(reader, authorization):
    client = APIClient()
    if authorization:
        client.credentials(HTTP_AUTHORIZATION=authorization)

    response = client.get(reader_url(reader.pk))

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"


def test_a_readers_token_is_not_a_service_key(reader, reader_client):
    assert reader_client.get(reader_url(reader.pk)).status_code == 401


@pytest.mark.parametrize("path", [ME, "/api/entitlements/articles/a1/read/"])
def test_a_wrong_key_on_the_reader_endpoints_is_a_401_not_an_anonymous_read(path):
    client = with_key("wrong.key")

    response = client.get(path) if path == ME else client.post(path)

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_api_key"


def test_a_revoked_key_is_refused_at_once(reader):
    created = api_key_create(name="app")
    client = with_key(created.key)
    assert client.get(reader_url(reader.pk)).status_code == 200  # now cached

    api_key_revoke(api_key=created.api_key)

    assert client.get(reader_url(reader.pk)).status_code == 401
    assert AuditLog.objects.filter(action="entitlement.api_key_revoked").exists()


def test_keys_are_stored_hashed_and_their_last_use_recorded(reader):
    created = api_key_create(name="newsletter")
    row = ApiKey.objects.get()
    assert created.key not in (row.key_hash, row.prefix, row.name)
    assert row.key_hash == api_key_digest(created.key)
    assert created.key.startswith(row.prefix)
    assert row.last_used_at is None

    with_key(created.key).get(reader_url(reader.pk))

    row.refresh_from_db()
    assert row.last_used_at is not None


def test_the_command_prints_a_working_key_once(reader):
    out, err = StringIO(), StringIO()

    call_command("create_api_key", "mobile app", stdout=out, stderr=err)

    key = out.getvalue().strip()
    assert ApiKey.objects.get().name == "mobile app"
    assert "shown once" in err.getvalue()
    assert with_key(key).get(reader_url(reader.pk)).status_code == 200


def test_keys_are_created_and_revoked_in_the_admin(reader, admin_client):
    response = admin_client.post(
        "/admin/entitlements/apikey/add/", {"name": "renderer"}, follow=True
    )

    assert response.status_code == 200
    row = ApiKey.objects.get()
    shown = next(str(m) for m in response.context["messages"] if "copy it now" in str(m))
    key = shown.split(" is ")[1].split(" ")[0]
    assert row.key_hash == api_key_digest(key)
    assert with_key(key).get(reader_url(reader.pk)).status_code == 200

    admin_client.post(
        "/admin/entitlements/apikey/",
        {"action": "revoke", "_selected_action": [row.pk]},
    )

    row.refresh_from_db()
    assert row.revoked_at is not None
    assert with_key(key).get(reader_url(reader.pk)).status_code == 401
