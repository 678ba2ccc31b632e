"""Which requests a publishable key may make: what Stripe.js makes with one.

Stripe: a publishable key identifies the account in client-side code [KEYS]; Stripe.js
uses it to create a PaymentMethod from the card details a customer typed, and to
retrieve and confirm a SetupIntent or PaymentIntent with the intent's `client_secret`
("Required if using a publishable key", the `client_secret` parameter of
https://docs.stripe.com/api/setup_intents/retrieve and
https://docs.stripe.com/api/payment_intents/retrieve). Every other endpoint answers a
publishable key with the 401 of auth.PUBLISHABLE_KEY.

A `client_secret` that is not the intent's is refused with Stripe's message as Stripe.js
users quote it (flutter-stripe/flutter_stripe#645, #898); a publishable-key request
without one gets the publishable-key 401 **(choice)**.
"""

from __future__ import annotations

from typing import Any

from .auth import PUBLISHABLE_KEY
from .errors import StripeError, authentication, invalid

# Route handlers (resources/) that a publishable key may call.
ALLOWED = frozenset(
    {
        "payment_method_create",
        "setup_intent_retrieve",
        "setup_intent_confirm",
        "payment_intent_retrieve",
        "payment_intent_confirm",
    }
)
# Those that act on an intent, named by its client_secret: (kind, Stripe's noun).
_INTENTS = {
    "setup_intent": "SetupIntent",
    "payment_intent": "PaymentIntent",
}


def allows_publishable(route: Any) -> bool:
    return route is not None and route.handler.__name__ in ALLOWED


def check_client_secret(state: Any, route: Any, args: dict[str, str], params: Any) -> None:
    """For an intent endpoint called with a publishable key: the request must carry the
    intent's `client_secret`. A missing intent is left to the handler (its 404)."""
    name = route.handler.__name__
    kind = name.rsplit("_", 1)[0]
    if kind not in _INTENTS:
        return
    secret = params.get("client_secret") if isinstance(params, dict) else None
    if not isinstance(secret, str) or not secret:
        raise authentication(PUBLISHABLE_KEY)
    with state.lock:
        obj = state.find(kind, args.get("id", ""))
        expected = obj["client_secret"] if obj is not None else None
    if expected is not None and secret != expected:
        raise client_secret_mismatch(_INTENTS[kind])


def client_secret_mismatch(noun: str) -> StripeError:
    return invalid(
        f"The client_secret provided does not match the client_secret associated with the {noun}.",
        param="client_secret",
    )
