"""Login with email and password; logout deletes the token; /user/ is the caller's own."""

import pytest
from rest_framework.authtoken.models import Token

from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def login(client, email, password=DEFAULT_PASSWORD):
    return client.post("/api/auth/login/", {"email": email, "password": password}, format="json")


def test_login_returns_a_token(api_client):
    user = UserFactory(email="reader@example.com")

    response = login(api_client, "reader@example.com")

    assert response.status_code == 200
    assert response.json()["key"] == Token.objects.get(user=user).key


def test_login_ignores_the_case_of_the_email(api_client):
    UserFactory(email="reader@example.com")

    assert login(api_client, "Reader@EXAMPLE.com").status_code == 200


def test_wrong_password_is_a_400_without_saying_which_part_was_wrong(api_client):
    UserFactory(email="reader@example.com")

    wrong_password = login(api_client, "reader@example.com", "not the password at all")
    unknown_email = login(api_client, "nobody@example.com")

    for response in (wrong_password, unknown_email):
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_credentials"
    assert wrong_password.json()["detail"] == unknown_email.json()["detail"]


def test_inactive_reader_cannot_log_in(api_client):
    UserFactory(email="gone@example.com", is_active=False)

    response = login(api_client, "gone@example.com")

    assert response.status_code == 400
    assert not Token.objects.exists()


def test_login_requires_email_and_password(api_client):
    response = api_client.post("/api/auth/login/", {}, format="json")

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"email", "password"}


def test_logout_invalidates_the_token(api_client):
    UserFactory(email="reader@example.com")
    key = login(api_client, "reader@example.com").json()["key"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    assert api_client.post("/api/auth/logout/").status_code == 200
    response = api_client.get("/api/auth/user/")

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert not Token.objects.filter(key=key).exists()


def test_logout_without_credentials_is_401(api_client):
    response = api_client.post("/api/auth/logout/")

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }


def test_current_user_without_credentials_is_401_not_403(api_client):
    response = api_client.get("/api/auth/user/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_reader_sees_only_their_own_account(api_client):
    alice = UserFactory(email="alice@example.com")
    bob = UserFactory(email="bob@example.com")
    token = Token.objects.create(user=alice)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    own = api_client.get("/api/auth/user/")
    other = api_client.get(f"/api/auth/user/{bob.pk}/")
    with_query = api_client.get(f"/api/auth/user/?id={bob.pk}&email=bob@example.com")

    assert own.json() == {
        "id": alice.pk,
        "email": "alice@example.com",
        "date_joined": own.json()["date_joined"],
    }
    assert other.status_code == 404
    assert with_query.json()["email"] == "alice@example.com"


def test_a_reader_cannot_change_their_email_or_staff_flag_through_the_api(api_client):
    alice = UserFactory(email="alice@example.com")
    token = Token.objects.create(user=alice)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    api_client.patch(
        "/api/auth/user/", {"email": "bob@example.com", "is_staff": True}, format="json"
    )

    alice.refresh_from_db()
    assert alice.email == "alice@example.com"
    assert not alice.is_staff


def test_password_change_needs_the_old_password(api_client):
    alice = UserFactory(email="alice@example.com")
    token = Token.objects.create(user=alice)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    new = "violet-harbour-quartz-93"

    refused = api_client.post(
        "/api/auth/password/change/",
        {"old_password": "wrong password!!", "new_password1": new, "new_password2": new},
        format="json",
    )
    accepted = api_client.post(
        "/api/auth/password/change/",
        {"old_password": DEFAULT_PASSWORD, "new_password1": new, "new_password2": new},
        format="json",
    )

    assert refused.status_code == 400
    assert "old_password" in refused.json()["fields"]
    assert accepted.status_code == 200
    alice.refresh_from_db()
    assert alice.check_password(new)
