"""Who is reading: an account, or an anonymous reader id (docs/api.md, "Who is asking").

An anonymous reader id is a random UUID signed with django.core.signing, so a
client cannot invent one or pick another reader's. It travels in the
`X-Reader-Id` header or the `reader_id` cookie (the header wins).
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core import signing

from config.errors import ApplicationError

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

READER_ID_HEADER = "X-Reader-Id"
READER_ID_COOKIE = "reader_id"
READER_ID_SALT = "entitlements.reader-id"
READER_ID_MAX_LENGTH = 128
_UUID_HEX = re.compile(r"^[0-9a-f]{32}$")
_signer = signing.Signer(salt=READER_ID_SALT)


@dataclass(frozen=True, slots=True)
class Reader:
    """An account (user_id) or an anonymous reader (anonymous_id, a UUID in hex)."""

    user_id: int | None = None
    anonymous_id: str | None = None
    # The account row when the caller already has it (saves a query on a cache miss).
    user: Any = None
    # A reader id minted for this request: it has read nothing yet.
    is_new: bool = False

    @classmethod
    def for_user(cls, user: User) -> Reader:
        return cls(user_id=user.pk, user=user)

    @property
    def key(self) -> str:
        return f"u{self.user_id}" if self.user_id is not None else f"a{self.anonymous_id}"

    def meter_filter(self, prefix: str = "") -> dict[str, Any]:
        if self.user_id is not None:
            return {f"{prefix}user_id": self.user_id}
        return {f"{prefix}anonymous_id": uuid.UUID(hex=self.anonymous_id or "")}


class InvalidReaderId(ApplicationError):
    code = "invalid_reader_id"

    def __init__(self) -> None:
        super().__init__("The reader id is malformed or not signed by us.")


def reader_id_new() -> tuple[Reader, str]:
    """A new anonymous reader and its signed id (the token the client keeps)."""
    anonymous_id = uuid.uuid4().hex
    return Reader(anonymous_id=anonymous_id, is_new=True), _signer.sign(anonymous_id)


def reader_id_verify(token: str) -> Reader:
    """The anonymous reader a signed id names; InvalidReaderId if it is not one of ours."""
    if not token or len(token) > READER_ID_MAX_LENGTH:
        raise InvalidReaderId()
    try:
        value = _signer.unsign(token)
    except signing.BadSignature as exc:
        raise InvalidReaderId() from exc
    if not _UUID_HEX.match(value):
        raise InvalidReaderId()
    return Reader(anonymous_id=value)


def reader_id_presented(*, headers: Any, cookies: Any) -> str | None:
    """The reader id a request carries: the header if present, else the cookie, else None."""
    token = headers.get(READER_ID_HEADER)
    if token is None:
        token = cookies.get(READER_ID_COOKIE)
    return token


def anonymous_reader_from_request(request: Any) -> Reader | None:
    """The anonymous reader a request presents, or None (missing or invalid: never an error).

    For login and registration, where a bad cookie must not stop a reader signing in.
    """
    token = reader_id_presented(headers=request.headers, cookies=request.COOKIES)
    if token is None:
        return None
    try:
        return reader_id_verify(token)
    except InvalidReaderId:
        logger.info("ignoring an invalid reader id presented at sign-in")
        return None
