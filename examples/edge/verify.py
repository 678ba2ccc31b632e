"""A Python verifier of entitlement tokens (an app server, a renderer, a CDN's Python edge).

Needs only PyJWT with cryptography (`pip install "PyJWT[crypto]"`): no call to the
paywall service per page view, only the JWKS, fetched once and cached.

    verifier = EdgeVerifier(jwks, issuer="paywall-billing", audience="paywall-edge")
    claims = verifier.verify(token)            # InvalidToken if it is not one to trust
    decide(claims, "article-123")              # "full", "ask" or "teaser"

From a shell: python verify.py JWKS_FILE TOKEN ARTICLE_ID
"""

from __future__ import annotations

import json
import sys
import time
from collections import OrderedDict
from typing import Any

import jwt

LEEWAY_SECONDS = 30
# Tokens verified recently: a reader's page views present the same token for its
# whole life, so its signature is checked once; exp is checked on every use.
MEMO_SIZE = 10_000


class InvalidToken(Exception):
    pass


class EdgeVerifier:
    def __init__(self, jwks: dict[str, Any], *, issuer: str, audience: str) -> None:
        # kid -> public key, imported once: only EdDSA keys, only published ones.
        self.keys = {
            jwk["kid"]: jwt.PyJWK(jwk, algorithm="EdDSA")
            for jwk in jwks.get("keys", [])
            if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519"
        }
        self.issuer = issuer
        self.audience = audience
        self.memo: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def verify(self, token: str) -> dict[str, Any]:
        claims = self.memo.get(token)
        if claims is not None:
            if time.time() <= claims["exp"] + LEEWAY_SECONDS:
                return claims
            del self.memo[token]
        claims = self.verify_signature(token)
        self.memo[token] = claims
        if len(self.memo) > MEMO_SIZE:
            self.memo.popitem(last=False)
        return claims

    def verify_signature(self, token: str) -> dict[str, Any]:
        """The full check: header, signature, exp, iat, iss, aud."""
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != "EdDSA":  # never "none", never HS256 keyed with a public key
                raise InvalidToken(f"algorithm {header.get('alg')!r} is not accepted")
            key = self.keys.get(header.get("kid"))
            if key is None:
                raise InvalidToken(f"no published key has kid {header.get('kid')!r}")
            return jwt.decode(
                token,
                key,
                algorithms=["EdDSA"],
                issuer=self.issuer,
                audience=self.audience,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc


def decide(claims: dict[str, Any] | None, article_id: str) -> str:
    """full: serve it; ask: POST .../articles/<id>/read/?token=1 (the service counts);
    teaser: the paywall."""
    if claims is None:
        return "ask"
    if claims["access"] == "unlimited":
        return "full"
    meter = claims.get("meter") or {}
    if article_id in meter.get("articles", ()):
        return "full"
    return "ask" if meter.get("remaining", 0) > 0 else "teaser"


if __name__ == "__main__":
    jwks_file, token, article_id = sys.argv[1:4]
    with open(jwks_file) as handle:
        keys = json.load(handle)
    verifier = EdgeVerifier(keys, issuer="paywall-billing", audience="paywall-edge")
    try:
        print(decide(verifier.verify(token), article_id))  # noqa: T201
    except InvalidToken as exc:
        print(f"invalid token ({exc}): ask")  # noqa: T201
