"""The Stripe.js stand-in over plain HTTP: the script, and the 3-D Secure challenge page
and its answer (the browser side: test_stripejs_browser.py)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest


def fetch(emulator, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - loopback
        emulator.url + path, data=data, method="POST" if data else "GET"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers["Content-Type"], err.read()


@pytest.fixture
def pending_setup(stripe_client):
    """A SetupIntent waiting for 3-D Secure (4000 0025 0000 3155)."""
    customer = stripe_client.v1.customers.create(params={"email": "reader@example.com"})
    return stripe_client.v1.setup_intents.create(
        params={
            "customer": customer.id,
            "payment_method": "pm_card_authenticationRequiredOnSetup",
            "confirm": True,
        }
    )


@pytest.mark.parametrize("path", ["/v3/", "/v3"])
def test_the_script_is_served_at_v3(stripe_emulator, path):
    status, content_type, body = fetch(stripe_emulator, path)
    assert status == 200
    assert content_type.startswith("application/javascript")
    assert b"window.Stripe = Stripe" in body


def test_the_challenge_page_needs_the_intents_client_secret(stripe_emulator, pending_setup):
    assert pending_setup.status == "requires_action"
    path = f"/v3/challenge/{pending_setup.id}"
    status, content_type, page = fetch(
        stripe_emulator, f"{path}?client_secret={pending_setup.client_secret}"
    )
    assert (status, content_type) == (200, "text/html; charset=utf-8")
    assert b"Complete authentication" in page
    assert b"Fail authentication" in page
    status, _, body = fetch(stripe_emulator, f"{path}?client_secret={pending_setup.id}_secret_x")
    assert status == 400
    assert json.loads(body)["error"]["param"] == "client_secret"
    status, _, body = fetch(stripe_emulator, "/v3/challenge/seti_missing?client_secret=x")
    assert status == 404


def test_answering_the_challenge_finishes_the_intent_once(
    stripe_emulator, stripe_client, pending_setup
):
    path = f"/v3/challenge/{pending_setup.id}"
    wrong = {"outcome": "succeed", "client_secret": "nope"}
    assert fetch(stripe_emulator, path, wrong)[0] == 400
    assert stripe_client.v1.setup_intents.retrieve(pending_setup.id).status == "requires_action"

    answer = {"outcome": "succeed", "client_secret": pending_setup.client_secret}
    status, _, body = fetch(stripe_emulator, path, answer)
    assert (status, json.loads(body)["status"]) == (200, "succeeded")
    assert stripe_client.v1.setup_intents.retrieve(pending_setup.id).status == "succeeded"
    # Answered again: the intent is no longer waiting for authentication.
    status, _, body = fetch(stripe_emulator, path, answer)
    assert status == 400
    assert json.loads(body)["error"]["code"] == "setup_intent_unexpected_state"


def test_an_unknown_v3_path_is_a_404(stripe_emulator):
    assert fetch(stripe_emulator, "/v3/elements-inner-card.html")[0] == 404
