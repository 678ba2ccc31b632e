"""API keys: the secret keys the emulator was started with, and Stripe's answer to any other.

Stripe authenticates every /v1/ request with a secret key, sent as Bearer auth
(or as the user name of Basic auth); a missing, unknown or publishable key is a
401 [AUTH]. The emulator is one test-mode account: it accepts exactly the
`sk_test_` keys it was given (`--api-key`, repeatable; `EmulatorServer(api_keys=)`),
so a project configured with the wrong key fails here as it would against Stripe.
The control API (/_emulator/) is the emulator's own and takes no key.

Publishable keys (`pk_test_`) identify the account in client-side code: Stripe.js
sends one to create a PaymentMethod from card details and to retrieve or confirm an
intent with its `client_secret` [KEYS], [SI-RETRIEVE]. The emulator accepts the
publishable keys it was given (`--publishable-key`, default DEFAULT_PUBLISHABLE_KEY)
on exactly those endpoints (publishable.py) and refuses them everywhere else with
Stripe's message. Stripe.js sends its key as the form parameter `key` rather than a
header (no CORS preflight); a Bearer header works as well.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable

from .errors import authentication

# The key accepted when none is given (printed at start, documented in the README).
DEFAULT_API_KEY = "sk_test_emulator"
# The publishable key accepted when none is given (`--publishable-key`; Stripe.js stand-in).
DEFAULT_PUBLISHABLE_KEY = "pk_test_emulator"

NO_KEY = (
    "You did not provide an API key. You need to provide your API key in the "
    "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
    "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, "
    "or we can help at https://support.stripe.com/."
)
PUBLISHABLE_KEY = (
    "This API call cannot be made with a publishable API key. Please use a secret API key. "
    "You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys."
)


def accepted_keys(keys: Iterable[str] | None) -> frozenset[str]:
    """The keys a server accepts: `keys`, or DEFAULT_API_KEY when none are given.
    Only test-mode secret keys: the emulator is a test-mode account (ValueError otherwise)."""
    chosen = frozenset(keys or (DEFAULT_API_KEY,))
    for key in chosen:
        if not key.startswith("sk_test_") or len(key) <= len("sk_test_") or key != key.strip():
            raise ValueError(
                f"an emulator API key is a test-mode secret key, sk_test_...: got {mask(key)!r}"
            )
    return chosen


def accepted_publishable_keys(keys: Iterable[str] | None) -> frozenset[str]:
    """The publishable keys a server accepts: `keys`, or DEFAULT_PUBLISHABLE_KEY.
    Only test-mode ones, pk_test_... (ValueError otherwise)."""
    chosen = frozenset(keys or (DEFAULT_PUBLISHABLE_KEY,))
    for key in chosen:
        if not key.startswith("pk_test_") or len(key) <= len("pk_test_") or key != key.strip():
            raise ValueError(
                f"an emulator publishable key is a test-mode one, pk_test_...: got {mask(key)!r}"
            )
    return chosen


def mask(token: str) -> str:
    """A key as Stripe shows it in an error: its first 8 and last 4 characters."""
    if not token:
        return ""
    return token[:8] + "*" * max(0, len(token) - 12) + token[-4:]


def authenticate(
    authorization: str,
    keys: frozenset[str],
    publishable: frozenset[str] = frozenset(),
    form_key: str | None = None,
) -> str:
    """Raise Stripe's 401 unless the request carries one of `keys` ("secret" returned) or
    one of the `publishable` keys ("publishable"; the caller checks the endpoint allows
    it). The key is the Authorization header's, else the `key` parameter Stripe.js sends."""
    if not authorization and form_key:
        authorization = f"Bearer {form_key}"
    if not authorization:
        raise authentication(NO_KEY)
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() == "basic":
        try:
            token = base64.b64decode(token, validate=True).decode().split(":", 1)[0]
        except (ValueError, binascii.Error, UnicodeDecodeError):
            token = ""
    elif scheme.lower() != "bearer":
        token = ""
    if token in keys:
        return "secret"
    if token in publishable:
        return "publishable"
    if publishable and token.startswith(("pk_test_", "pk_live_")):
        # An endpoint that takes publishable keys, with one that is not this account's.
        raise authentication(f"Invalid API Key provided: {mask(token)}")
    if token.startswith(("pk_test_", "pk_live_")):
        raise authentication(PUBLISHABLE_KEY)
    # Unknown, live (sk_live_: this is a test-mode account), restricted or malformed.
    raise authentication(f"Invalid API Key provided: {mask(token)}")
