"""Edge tokens as the tests get and inspect them."""

from __future__ import annotations

import base64
import json

from entitlements.tokens import token_verify

TOKEN = "/api/entitlements/token/"
JWKS = "/.well-known/jwks.json"


def issue(client, **headers) -> str:
    response = client.post(TOKEN, **headers)
    assert response.status_code == 200, response.content
    return response.json()["token"]


def jwks(client) -> dict:
    response = client.get(JWKS)
    assert response.status_code == 200, response.content
    return response.json()


def verified(client, token: str) -> dict:
    """The token's claims, checked against the JWKS the service publishes now."""
    return token_verify(token, jwks=jwks(client))


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parts(token: str) -> tuple[dict, dict, str]:
    """(header, claims, signature) of a token, unverified."""
    header, payload, signature = token.split(".")
    return json.loads(unb64(header)), json.loads(unb64(payload)), signature


def forged(header: dict, claims: dict, signature: str) -> str:
    """A token made of these parts: what an attacker can send."""
    encode = lambda part: b64(json.dumps(part, separators=(",", ":")).encode())  # noqa: E731
    return f"{encode(header)}.{encode(claims)}.{signature}"
