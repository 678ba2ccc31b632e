"""Password reset: an email with a frontend link, then confirm with uid + token."""

import re

import pytest
from django.core import mail

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "saffron-lantern-delta-58"


def test_reset_mails_a_link_to_the_frontend_and_the_token_sets_a_new_password(api_client, settings):
    settings.FRONTEND_URL = "https://news.example.com"
    user = UserFactory(email="reader@example.com")

    response = api_client.post(
        "/api/auth/password/reset/", {"email": "Reader@example.com"}, format="json"
    )

    assert response.status_code == 200
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["reader@example.com"]
    match = re.search(
        r"https://news\.example\.com/reset-password/(\w+)/([\w-]+)", mail.outbox[0].body
    )
    assert match, mail.outbox[0].body
    uid, token = match.groups()

    confirm = api_client.post(
        "/api/auth/password/reset/confirm/",
        {"uid": uid, "token": token, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        format="json",
    )

    assert confirm.status_code == 200, confirm.json()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_reset_for_an_unknown_email_answers_the_same_and_sends_nothing(api_client):
    response = api_client.post(
        "/api/auth/password/reset/", {"email": "nobody@example.com"}, format="json"
    )

    assert response.status_code == 200
    assert mail.outbox == []


def test_a_forged_token_is_refused(api_client):
    user = UserFactory()
    from allauth.account.utils import user_pk_to_url_str

    response = api_client.post(
        "/api/auth/password/reset/confirm/",
        {
            "uid": user_pk_to_url_str(user),
            "token": "abc-forged",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        format="json",
    )

    assert response.status_code == 400
    assert "token" in response.json()["fields"]
