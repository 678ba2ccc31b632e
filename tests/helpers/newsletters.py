"""The newsletters endpoints and emails, as the tests use them."""

from __future__ import annotations

import re

from django.core import mail

LIST = "/api/newsletters/"
SUBSCRIBE = "/api/newsletters/subscribe/"
CONFIRM = "/api/newsletters/confirm/"
PREFERENCES = "/api/newsletters/preferences/"
_CONFIRM_LINK = re.compile(r"/newsletters/confirm/([^\s\"<]+)")


def feed_url(slug: str) -> str:
    return f"/api/newsletters/{slug}/subscribers/"


def subscribe(client, email: str, *slugs: str, **extra):
    return client.post(
        SUBSCRIBE, {"email": email, "newsletters": list(slugs)}, format="json", **extra
    )


def confirmation_emails(to: str) -> list:
    return [m for m in mail.outbox if m.to == [to] and "newsletter" in m.subject.lower()]


def confirmation_token(to: str) -> str:
    """The token in the last confirmation email sent to `to`."""
    message = confirmation_emails(to)[-1]
    found = _CONFIRM_LINK.search(message.body)
    assert found, message.body
    return found.group(1)


def unsubscribe_path(url: str) -> str:
    """The path of an absolute one-click URL (the test client speaks paths)."""
    return re.sub(r"^https?://[^/]+", "", url)


def list_unsubscribe_path(header: str) -> str:
    """The path inside a List-Unsubscribe header value (<https://...>)."""
    return unsubscribe_path(header.strip("<>"))


def sign_up_and_confirm(client, email: str, *slugs: str, **extra):
    """Subscribe, then confirm with the emailed link (as its owner would): the confirm answer."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = subscribe(client, email, *slugs)
    assert response.status_code == 202, response.content
    with TestCase.captureOnCommitCallbacks(execute=True):  # as a commit would: hooks run
        return client.post(CONFIRM, {"token": confirmation_token(email)}, format="json", **extra)
