"""Edge tokens: the decision, signed, for a CDN worker or an app to verify offline.

A token is a JWT signed with the current Ed25519 key (alg "EdDSA", the key's
kid in the header; entitlements/signing_keys.py). Its claims (docs/api.md,
"Edge tokens"):

    sub     the reader key ("u<id>" or "a<anonymous id>")
    access  "unlimited" | "metered";  reason  as /me/;  until  NumericDate or null
    meter   null, or {limit, used, remaining, articles, resets_at}: the articles
            already counted this month may be served again without asking us
    ver     the reader's version (bumped by every change that moves the decision)
    iat, exp, iss, aud

exp is iat + ENTITLEMENT_TOKEN_SECONDS, never later than `until` nor than the
meter's reset: a revoked reader holds a valid token at most that long (plus
the verifier's leeway). The public keys are published at /.well-known/jwks.json.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from django.conf import settings
from django.utils import timezone

from config.errors import ApplicationError
from entitlements.readers import Reader
from entitlements.selectors import Decision
from entitlements.signing_keys import KeySet, KeySetError, key_set_configured

ALGORITHM = "EdDSA"
# How much clock skew a verifier forgives (exp and iat), in seconds.
LEEWAY_SECONDS = 30
# How long edges may cache the JWKS: a "next" key is published at least this long
# before it signs (docs/operations.md, "Rotating the keys").
JWKS_MAX_AGE_SECONDS = 300


class SigningKeysUnavailable(ApplicationError):
    status_code = 503
    code = "signing_keys_unavailable"

    def __init__(self) -> None:
        super().__init__("Entitlement tokens cannot be signed now: the signing keys are missing.")


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_at: datetime


def overlap_seconds() -> int:
    """How long a retired key stays published: the longest a token it signed may be accepted."""
    return int(settings.ENTITLEMENT_TOKEN_SECONDS) + LEEWAY_SECONDS


def token_claims(*, reader: Reader, decision: Decision, now: datetime) -> dict[str, Any]:
    iat = int(now.timestamp())
    exp = iat + int(settings.ENTITLEMENT_TOKEN_SECONDS)
    if decision.until is not None:
        exp = min(exp, int(decision.until.timestamp()))
    meter = decision.metered
    if meter is not None:
        exp = min(exp, int(meter.resets_at.timestamp()))
    return {
        "sub": reader.key,
        "access": decision.access,
        "reason": decision.reason,
        "until": None if decision.until is None else int(decision.until.timestamp()),
        "meter": None
        if meter is None
        else {
            "limit": meter.limit,
            "used": meter.used,
            "remaining": meter.remaining,
            "articles": list(decision.articles),
            "resets_at": int(meter.resets_at.timestamp()),
        },
        "ver": decision.version,
        "iat": iat,
        "exp": exp,
        "iss": settings.ENTITLEMENT_TOKEN_ISSUER,
        "aud": settings.ENTITLEMENT_TOKEN_AUDIENCE,
    }


def _key_set() -> KeySet:
    try:
        return key_set_configured()
    except KeySetError as exc:
        raise SigningKeysUnavailable() from exc


def token_issue(*, reader: Reader, decision: Decision, now: datetime | None = None) -> IssuedToken:
    """The decision as a signed token, with the current key."""
    now = now or timezone.now()
    try:
        key = _key_set().current
    except KeySetError as exc:
        raise SigningKeysUnavailable() from exc
    claims = token_claims(reader=reader, decision=decision, now=now)
    token = jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})
    return IssuedToken(token, datetime.fromtimestamp(claims["exp"], tz=UTC))


def jwks_document(*, now: datetime | None = None) -> dict[str, Any]:
    """The public keys a verifier may trust now: current, next, retired within the overlap."""
    moment = int((now or timezone.now()).timestamp())
    keys = _key_set().published(now=moment, overlap=overlap_seconds())
    return {"keys": [key.public_jwk() for key in keys]}


# --- verification (what an edge does; examples/edge/ has standalone versions) ----


class InvalidToken(Exception):
    """The token is not one to trust (the message says why)."""


def token_verify(
    token: str,
    *,
    jwks: dict[str, Any],
    leeway: int = LEEWAY_SECONDS,
) -> dict[str, Any]:
    """The claims of a token signed by a key of `jwks`; InvalidToken otherwise.

    Only EdDSA is accepted (never "none", never an HMAC keyed with a public
    key), the kid must name a published key, and exp, iat, iss and aud are
    checked against the clock with `leeway` seconds of skew.
    """
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"malformed token: {exc}") from exc
    if header.get("alg") != ALGORITHM:
        raise InvalidToken(f"algorithm {header.get('alg')!r} is not accepted")
    jwk = next((k for k in jwks.get("keys", []) if k.get("kid") == header.get("kid")), None)
    if jwk is None:
        raise InvalidToken(f"no published key has kid {header.get('kid')!r}")
    try:
        key = jwt.PyJWK(jwk, algorithm=ALGORITHM)
        return jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=settings.ENTITLEMENT_TOKEN_AUDIENCE,
            issuer=settings.ENTITLEMENT_TOKEN_ISSUER,
            leeway=leeway,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
