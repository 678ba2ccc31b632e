"""POST /api/auth/registration/: email + password, 201 {key}, clear 400s."""

import pytest

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/auth/registration/"
STRONG = "plum-kettle-orbit-47"


def register(client, email="new.reader@example.com", password=STRONG, password2=None):
    return client.post(
        URL,
        {"email": email, "password1": password, "password2": password2 or password},
        format="json",
    )


def test_registration_creates_a_reader_and_returns_a_token(api_client):
    response = register(api_client)

    assert response.status_code == 201, response.json()
    key = response.json()["key"]
    assert len(key) == 40
    user = User.objects.get()
    assert user.email == "new.reader@example.com"
    assert user.auth_token.key == key
    assert user.check_password(STRONG)
    assert not user.is_staff


def test_the_token_authenticates_the_new_reader(api_client):
    key = register(api_client).json()["key"]

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api_client.get("/api/auth/user/")

    assert response.status_code == 200
    assert response.json()["email"] == "new.reader@example.com"


def test_email_is_stored_in_lower_case(api_client):
    assert register(api_client, email="  Mixed.Case@Example.COM ").status_code == 201
    assert User.objects.get().email == "mixed.case@example.com"


def test_duplicate_email_in_another_case_is_refused(api_client):
    UserFactory(email="taken@example.com")

    response = register(api_client, email="TAKEN@Example.com")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "email_taken"
    assert "already exists" in body["detail"]
    assert list(body["fields"]) == ["email"]
    assert User.objects.count() == 1


def test_database_refuses_a_case_variant_even_past_the_serializer():
    from django.db import IntegrityError, transaction

    UserFactory(email="taken@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="Taken@example.com")])


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short-pw-1", "password_too_short"),
        ("password1234", "password_too_common"),
        ("83749283749283", "password_entirely_numeric"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(api_client, password, code):
    response = register(api_client, password=password)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code
    assert "password1" in body["fields"]
    assert not User.objects.exists()


def test_password_similar_to_the_email_is_refused(api_client):
    response = register(
        api_client, email="margaretthatcher@example.com", password="margaretthatcher"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "password_too_similar"


def test_mismatched_passwords_are_refused(api_client):
    response = register(api_client, password=STRONG, password2=STRONG + "x")

    assert response.status_code == 400
    assert response.json()["fields"]["password2"] == ["The two passwords do not match."]


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@example.com", "a b@example.com"])
def test_malformed_email_is_refused(api_client, email):
    response = register(api_client, email=email)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "email" in body["fields"]


@pytest.mark.parametrize("email", ["reader@localhost", " Reader@localhost "])
def test_an_address_django_takes_but_stripe_refuses_is_refused_at_registration(api_client, email):
    # Django's EmailValidator allows name@localhost; Stripe answers email_invalid for any
    # address without a dotted domain (https://docs.stripe.com/error-codes), so such a
    # reader could never start a trial: refused here, with its own code.
    response = register(api_client, email=email)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "email_domain_invalid"
    assert "name@example.com" in body["detail"]
    assert list(body["fields"]) == ["email"]
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "email", ["first.last+news@mail.example.co.uk", "leser@xn--mnchen-3ya.de", "a@b.photography"]
)
def test_plus_addressing_subdomains_and_long_tlds_register(api_client, email):
    assert register(api_client, email=email).status_code == 201


def test_missing_fields_are_each_named(api_client):
    response = api_client.post(URL, {}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "required"
    assert set(body["fields"]) == {"email", "password1", "password2"}
    assert body["fields"]["email"] == ["This field is required."]


def test_a_username_is_neither_asked_nor_accepted(api_client):
    response = api_client.post(
        URL,
        {"username": "someone", "email": "u@example.com", "password1": STRONG, "password2": STRONG},
        format="json",
    )

    assert response.status_code == 201
    assert not hasattr(User.objects.get(), "username")


def test_malformed_json_is_a_400_in_the_contract_shape(api_client):
    response = api_client.generic("POST", URL, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
