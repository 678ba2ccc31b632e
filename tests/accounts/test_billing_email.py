"""Addresses Stripe refuses are refused wherever a reader's address is set, not only at
registration: the User.email field's validator (accounts/emails.py) holds in admin, where
staff add or edit readers. Stripe answers `email_invalid` for an address without a
dotted domain (https://docs.stripe.com/error-codes); Django alone lets name@localhost in.
"""

import pytest
from django.core.exceptions import ValidationError

from accounts.emails import check_billing_email, is_billing_email
from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

STRONG = "plum-kettle-orbit-47"


@pytest.mark.parametrize(
    ("email", "ok"),
    [
        ("reader@example.com", True),
        ("first.last+news@mail.example.co.uk", True),
        ("leser@münchen.de", True),
        ("reader@example.photography", True),
        ("reader@localhost", False),
        ("reader@com", False),
        ("not-an-email", False),
        ("a reader@example.com", False),
    ],
)
def test_the_rule_matches_what_stripe_takes(email, ok):
    assert is_billing_email(email) is ok


def test_the_refusal_has_its_own_code():
    with pytest.raises(ValidationError) as err:
        check_billing_email("reader@localhost")
    assert err.value.code == "email_domain_invalid"


def test_staff_cannot_add_a_reader_with_an_address_stripe_refuses(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.post(
        "/admin/accounts/user/add/",
        {"email": "reader@localhost", "password1": STRONG, "password2": STRONG},
    )

    assert response.status_code == 200  # the form again, with the error
    assert "name@example.com" in response.content.decode()
    assert not User.objects.filter(email="reader@localhost").exists()


def test_staff_cannot_change_a_readers_address_to_one_stripe_refuses(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    reader = UserFactory(email="reader@example.com")

    response = client.post(
        f"/admin/accounts/user/{reader.pk}/change/",
        {
            "email": "reader@localhost",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )

    assert response.status_code == 200
    assert "name@example.com" in response.content.decode()
    reader.refresh_from_db()
    assert reader.email == "reader@example.com"
