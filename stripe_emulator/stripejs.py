"""A stand-in for Stripe.js, served at /v3/ on the emulator's port, and its 3-D Secure
challenge page.

Stripe serves Stripe.js from https://js.stripe.com/v3/; a page loads it with a
`<script>` tag and calls `Stripe(publishableKey)` [STRIPEJS]. The stand-in
(static/stripe-v3.js) implements the subset a paywall page uses, calling this
emulator's API with the publishable key as Stripe.js calls Stripe's, so that a page
written for Stripe.js runs here by changing only the key and the script URL.

When confirming needs authentication (a card that requires 3-D Secure), Stripe.js
shows the issuer's challenge in a modal; in test mode Stripe's own test page with
"Complete authentication" and "Fail authentication" [TESTING-3DS]. The stand-in shows
GET /v3/challenge/{intent id}?client_secret=... in a modal iframe; its buttons POST
/v3/challenge/{intent id} {"outcome": "succeed"|"fail", "client_secret"}, which
finishes the intent as the control API's /_emulator/intents/{id}/authenticate does
(webhooks included), then tell the page (postMessage) to read the intent again.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from .errors import StripeError, no_such
from .publishable import client_secret_mismatch

STATIC = Path(__file__).resolve().parent / "static"
JS = "application/javascript; charset=utf-8"
HTML = "text/html; charset=utf-8"
JSON = "application/json"


def serve_stripejs(
    emulator: Any, method: str, path: str, query: str, body: bytes
) -> tuple[int, str, bytes]:
    """(status, content type, body) for a request under /v3."""
    if path in ("/v3", "/v3/") and method == "GET":
        return 200, JS, (STATIC / "stripe-v3.js").read_bytes()
    if path.startswith("/v3/challenge/"):
        intent_id = path.removeprefix("/v3/challenge/").strip("/")
        if method == "GET":
            secret = parse_qs(query).get("client_secret", [""])[0]
            return _challenge_page(emulator, intent_id, secret)
        if method == "POST":
            return _authenticate(emulator, intent_id, body)
    return 404, JSON, _json({"error": f"no Stripe.js resource {method} {path}"})


def _intent(emulator: Any, intent_id: str, secret: str) -> dict[str, Any]:
    """The intent named, if `secret` is its client_secret (Stripe's errors otherwise)."""
    kind, noun = (
        ("setup_intent", "SetupIntent")
        if intent_id.startswith("seti_")
        else ("payment_intent", "PaymentIntent")
    )
    with emulator.state.lock:
        intent = emulator.state.find(kind, intent_id)
    if intent is None:
        raise no_such(noun.lower(), intent_id)
    if not secret or secret != intent["client_secret"]:
        raise client_secret_mismatch(noun)
    return intent


def _challenge_page(emulator: Any, intent_id: str, secret: str) -> tuple[int, str, bytes]:
    try:
        intent = _intent(emulator, intent_id, secret)
    except StripeError as err:
        return err.status, JSON, _json(err.body())
    amount = ""
    if intent.get("amount") is not None:
        amount = f"{intent['amount'] / 100:.2f} {intent['currency'].upper()}"
    template = (STATIC / "challenge.html").read_text()
    page = (
        template.replace("{{INTENT}}", html.escape(intent_id))
        .replace("{{AMOUNT}}", html.escape(amount or "Saving your card for later payments"))
        .replace("{{CONFIG}}", html.escape(json.dumps({"intent": intent_id, "secret": secret})))
    )
    return 200, HTML, page.encode()


def _authenticate(emulator: Any, intent_id: str, body: bytes) -> tuple[int, str, bytes]:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        data = None
    if not isinstance(data, dict) or data.get("outcome") not in ("succeed", "fail"):
        return 400, JSON, _json({"error": 'give {"outcome": "succeed"|"fail", "client_secret"}'})
    try:
        _intent(emulator, intent_id, str(data.get("client_secret") or ""))
        result = emulator.authenticate(intent_id, succeed=data["outcome"] == "succeed")
    except StripeError as err:
        return err.status, JSON, _json(err.body())
    return 200, JSON, _json({"id": result["id"], "status": result["status"]})


def _json(payload: Any) -> bytes:
    return json.dumps(payload).encode()
