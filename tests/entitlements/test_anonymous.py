"""Anonymous readers: a signed reader id in X-Reader-Id or the reader_id cookie."""

import pytest
from django.core import signing
from rest_framework.test import APIClient

from entitlements.readers import READER_ID_SALT, reader_id_new
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.helpers.entitlements import ME, read

pytestmark = pytest.mark.django_db

STRONG = "plum-kettle-orbit-47"


def test_a_reader_without_an_id_is_given_one_in_a_header_and_a_cookie(anonymous_client):
    response = anonymous_client.get(ME)

    assert response.status_code == 200
    assert response.json()["access"] == "metered"
    assert response.json()["metered"]["remaining"] == 3
    token = response["X-Reader-Id"]
    cookie = response.cookies["reader_id"]
    assert cookie.value == token
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["max-age"] == 365 * 24 * 60 * 60
    assert cookie["secure"] is True  # DEBUG is off


def test_the_cookie_is_not_secure_with_debug_on(anonymous_client, settings):
    settings.DEBUG = True

    response = anonymous_client.get(ME)

    assert not response.cookies["reader_id"]["secure"]


def test_a_cross_site_frontend_gets_a_samesite_none_cookie_that_is_always_secure(
    anonymous_client, settings
):
    settings.DEBUG = True  # even where the cookie would otherwise not be Secure
    settings.READER_ID_COOKIE_SAMESITE = "None"

    response = anonymous_client.get(ME)

    cookie = response.cookies["reader_id"]
    assert cookie["samesite"] == "None"
    assert cookie["secure"] is True


def test_a_known_reader_is_not_given_a_new_id(anonymous_client):
    anonymous_client.get(ME)  # the client keeps the cookie

    response = anonymous_client.get(ME)

    assert "X-Reader-Id" not in response
    assert "reader_id" not in response.cookies


def test_the_cookie_carries_the_meter(anonymous_client):
    first = read(anonymous_client, "a1")
    assert first["X-Reader-Id"]

    second = read(anonymous_client, "a2").json()

    assert second["remaining"] == 1
    assert anonymous_client.get(ME).json()["metered"]["used"] == 2


def test_the_header_carries_the_meter_without_cookies():
    token = read(APIClient(), "a1")["X-Reader-Id"]

    body = APIClient().get(ME, HTTP_X_READER_ID=token).json()

    assert body["metered"]["used"] == 1


def test_the_header_wins_over_the_cookie(anonymous_client):
    read(anonymous_client, "a1")  # the cookie's reader has read one
    _, other = reader_id_new()

    body = anonymous_client.get(ME, HTTP_X_READER_ID=other).json()

    assert body["metered"]["used"] == 0


def test_anonymous_readers_are_limited_too(anonymous_client):
    for article in ("a1", "a2", "a3"):
        read(anonymous_client, article)

    assert read(anonymous_client, "a4").json()["reason"] == "limit_reached"
    assert read(anonymous_client, "a1").json()["granted"] is True


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        "0123456789abcdef0123456789abcdef",  # an id without a signature
        signing.Signer(salt=READER_ID_SALT).sign("0123456789abcdef0123456789abcdef")[:-1] + "x",
        signing.Signer(salt="another-salt").sign("0123456789abcdef0123456789abcdef"),
        signing.Signer(salt=READER_ID_SALT).sign("not-a-uuid"),
        "x" * 500,
        "",
    ],
)
@pytest.mark.parametrize("where", ["header", "cookie"])
def test_a_malformed_or_badly_signed_reader_id_is_a_400(token, where):
    client = APIClient()
    if where == "header":
        response = client.get(ME, HTTP_X_READER_ID=token)
    else:
        client.cookies["reader_id"] = token
        response = read(client, "a1")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The reader id is malformed or not signed by us.",
        "code": "invalid_reader_id",
    }


# --- merging into the account on registration and login -------------------------


def register(client, email="new.reader@example.com"):
    return client.post(
        "/api/auth/registration/",
        {"email": email, "password1": STRONG, "password2": STRONG},
        format="json",
    )


def login(client, email):
    return client.post(
        "/api/auth/login/", {"email": email, "password": DEFAULT_PASSWORD}, format="json"
    )


def as_account(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_registration_brings_the_anonymous_reads_along(anonymous_client):
    read(anonymous_client, "a1")
    read(anonymous_client, "a2")

    response = register(anonymous_client)

    assert response.status_code == 201, response.json()
    account = as_account(response.json()["key"])
    assert account.get(ME).json()["metered"]["used"] == 2
    assert read(account, "a1").json() == {
        "granted": True,
        "access": "metered",
        "reason": "metered",
        "remaining": 1,
    }


def test_login_brings_the_anonymous_reads_along_with_the_header():
    user = UserFactory()
    token = read(APIClient(), "a1")["X-Reader-Id"]
    client = APIClient()

    response = client.post(
        "/api/auth/login/",
        {"email": user.email, "password": DEFAULT_PASSWORD},
        format="json",
        HTTP_X_READER_ID=token,
    )

    assert response.status_code == 200, response.json()
    assert as_account(response.json()["key"]).get(ME).json()["metered"]["used"] == 1


def test_merging_never_goes_above_the_limit(anonymous_client):
    user = UserFactory()
    account = as_account(login(APIClient(), user.email).json()["key"])
    read(account, "mine-1")
    read(account, "shared")
    for article in ("shared", "anon-1", "anon-2"):
        read(anonymous_client, article)

    login(anonymous_client, user.email)

    me = account.get(ME).json()
    assert me["metered"]["used"] == 3
    assert me["reason"] == "limit_reached"
    # the account's own reads stay; the oldest anonymous read fills the last place
    assert read(account, "mine-1").json()["granted"] is True
    assert read(account, "anon-1").json()["granted"] is True
    assert read(account, "anon-2").json()["granted"] is False


def test_merging_twice_counts_nothing_twice(anonymous_client):
    user = UserFactory()
    read(anonymous_client, "a1")

    login(anonymous_client, user.email)
    key = login(anonymous_client, user.email).json()["key"]

    assert as_account(key).get(ME).json()["metered"]["used"] == 1


def test_signing_out_does_not_refill_the_anonymous_meter(anonymous_client):
    for article in ("a1", "a2", "a3"):
        read(anonymous_client, article)
    register(anonymous_client)

    assert read(anonymous_client, "a4").json()["reason"] == "limit_reached"


def test_a_bad_reader_id_does_not_stop_a_login():
    user = UserFactory()
    client = APIClient()
    client.cookies["reader_id"] = "forged"

    response = login(client, user.email)

    assert response.status_code == 200
    assert as_account(response.json()["key"]).get(ME).json()["metered"]["used"] == 0


def test_a_failed_login_merges_nothing(anonymous_client):
    user = UserFactory()
    read(anonymous_client, "a1")

    response = anonymous_client.post(
        "/api/auth/login/", {"email": user.email, "password": "wrong"}, format="json"
    )

    assert response.status_code == 400
    key = login(APIClient(), user.email).json()["key"]
    assert as_account(key).get(ME).json()["metered"]["used"] == 0
