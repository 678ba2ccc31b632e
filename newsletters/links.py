"""The signed links newsletters sends: the confirmation of a sign-up (it expires) and the
one-click unsubscribe (it never does), with django.core.signing.

A confirmation link carries the whole sign-up (address, lists, consent): nothing is
stored before the owner of the address confirms. An unsubscribe link names one
subscription by its public id, or, in a confirmation email, the address by its hash
("never email me").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.utils.dateparse import parse_datetime

from config.errors import ApplicationError

CONFIRM_SALT = "newsletters.confirm"
UNSUBSCRIBE_SALT = "newsletters.unsubscribe"
LIST_UNSUBSCRIBE_POST = "List-Unsubscribe=One-Click"


class InvalidLink(ApplicationError):
    code = "invalid_token"

    def __init__(self, detail: str = "This link is not valid.", *, code: str | None = None):
        super().__init__(detail, code=code)


@dataclass(frozen=True, slots=True)
class SignUp:
    """A sign-up waiting for its confirmation: who, to what, and the consent's context."""

    email: str
    newsletters: tuple[str, ...]
    source: str
    source_page: str
    ip_hash: str
    requested_at: datetime


def confirmation_token(signup: SignUp) -> str:
    payload = {
        "e": signup.email,
        "n": list(signup.newsletters),
        "s": signup.source,
        "p": signup.source_page,
        "i": signup.ip_hash,
        "t": signup.requested_at.isoformat(),
    }
    return signing.dumps(payload, salt=CONFIRM_SALT, compress=True)


def confirmation_read(token: str) -> SignUp:
    """The sign-up a confirmation token carries; refused when tampered with or expired."""
    max_age = confirm_hours() * 3600
    try:
        payload = signing.loads(token, salt=CONFIRM_SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise InvalidLink(
            "This confirmation link has expired: sign up again.", code="token_expired"
        ) from exc
    except signing.BadSignature as exc:
        raise InvalidLink() from exc
    return _signup(payload)


def _signup(payload: dict[str, Any]) -> SignUp:
    requested_at = parse_datetime(payload["t"])
    if requested_at is None:  # pragma: no cover - we signed it
        raise InvalidLink()
    return SignUp(
        email=payload["e"],
        newsletters=tuple(payload["n"]),
        source=payload["s"],
        source_page=payload["p"],
        ip_hash=payload["i"],
        requested_at=requested_at,
    )


def confirmation_read_unchecked(token: str) -> SignUp:
    """The sign-up a token we just signed carries, whatever its age (the email task)."""
    payload = signing.loads(token, salt=CONFIRM_SALT)
    return _signup(payload)


def confirm_hours() -> int:
    return int(settings.NEWSLETTER_CONFIRM_HOURS)


def confirmation_url(token: str) -> str:
    """The frontend page that posts the token to POST /api/newsletters/confirm/."""
    return f"{settings.FRONTEND_URL}/newsletters/confirm/{token}"


def _unsubscribe_url(payload: dict[str, str]) -> str:
    token = signing.dumps(payload, salt=UNSUBSCRIBE_SALT)
    return f"{settings.PUBLIC_API_URL}/api/newsletters/unsubscribe/{token}/"


def unsubscribe_url(*, subscription_uid: str) -> str:
    """One subscription's one-click URL (RFC 8058): it never expires."""
    return _unsubscribe_url({"s": subscription_uid})


def never_email_url(*, email_hash: str) -> str:
    """An address's "never email me" URL: the List-Unsubscribe of our confirmation emails."""
    return _unsubscribe_url({"h": email_hash})


def unsubscribe_read(token: str) -> tuple[str, str]:
    """("s", subscription uid) or ("h", email hash); InvalidLink when it is not ours."""
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature as exc:
        raise InvalidLink() from exc
    if not isinstance(payload, dict) or len(payload) != 1:
        raise InvalidLink()
    ((kind, value),) = payload.items()
    if kind not in ("s", "h") or not isinstance(value, str):
        raise InvalidLink()
    return kind, value


def list_unsubscribe_headers(url: str) -> dict[str, str]:
    """The two headers mailbox providers ask for (RFC 2369 and RFC 8058)."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": LIST_UNSUBSCRIBE_POST}
