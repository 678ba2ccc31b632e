"""API keys: only the secret keys the emulator was started with; anything else as Stripe answers.

Stripe: https://docs.stripe.com/api/authentication (secret keys sk_test_/sk_live_, Basic
auth with the key as user name, or Bearer) and https://docs.stripe.com/keys (a request
without a valid key is an invalid request error, HTTP 401). The messages are Stripe's own,
as its SDK users quote them (stripe/stripe-node#361: "Invalid API Key provided:
sk_test_****...Aso0", the first 8 and last 4 characters kept).
"""

from __future__ import annotations

import base64
import subprocess
import sys

import pytest
import stripe  # noqa: TID251 - the emulator is tested through the official SDK

from stripe_emulator.auth import DEFAULT_API_KEY
from stripe_emulator.server import EmulatorServer
from tests.helpers.stripe_emulator import ROOT, Process, raw

UNKNOWN = "sk_test_51NotTheEmulatorsKeyAbcd"


def client_with(emulator, key: str) -> stripe.StripeClient:
    return stripe.StripeClient(key, base_addresses={"api": emulator.url}, max_network_retries=0)


# https://docs.stripe.com/keys: "If a request doesn't include a valid key, Stripe returns
# an invalid request error."
def test_an_unknown_test_key_is_a_401_naming_the_masked_key(stripe_emulator):
    with pytest.raises(stripe.AuthenticationError) as caught:
        client_with(stripe_emulator, UNKNOWN).v1.customers.list()
    assert caught.value.http_status == 401
    assert caught.value.error.type == "invalid_request_error"
    masked = "sk_test_" + "*" * (len(UNKNOWN) - 12) + "Abcd"  # first 8, last 4
    assert caught.value.user_message == f"Invalid API Key provided: {masked}"
    # Nothing was executed under it.
    assert stripe_emulator.requests()[-1]["status"] == 401


# https://docs.stripe.com/api/authentication: live keys are sk_live_; the emulator is a
# test-mode account, so no live key is ever its own.
def test_a_live_key_is_a_401(stripe_emulator):
    with pytest.raises(stripe.AuthenticationError) as caught:
        client_with(stripe_emulator, "sk_live_51AnyLiveKeyWxyz").v1.customers.create()
    assert caught.value.http_status == 401
    assert caught.value.user_message == "Invalid API Key provided: sk_live_************Wxyz"
    assert client_with(stripe_emulator, stripe_emulator.api_key).v1.customers.list().data == []


# https://docs.stripe.com/keys: publishable keys (pk_) only identify the account in
# client-side code; secret-key endpoints refuse them.
def test_a_publishable_key_is_refused_on_a_secret_key_endpoint(stripe_emulator):
    with pytest.raises(stripe.AuthenticationError) as caught:
        client_with(stripe_emulator, "pk_test_51Publishable").v1.customers.list()
    assert caught.value.http_status == 401
    assert caught.value.user_message == (
        "This API call cannot be made with a publishable API key. Please use a secret API "
        "key. You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys."
    )


# https://docs.stripe.com/api/authentication: "API requests without authentication will
# also fail"; the key goes as the Basic auth user name, or as a Bearer token.
def test_bearer_and_basic_auth_carry_the_key_and_only_the_started_one(stripe_emulator):
    def basic(key: str) -> str:
        return "Basic " + base64.b64encode(f"{key}:".encode()).decode()

    accepted = stripe_emulator.api_key
    for header in (f"Bearer {accepted}", basic(accepted)):
        status, _, _ = raw(
            stripe_emulator, "GET", "/v1/customers", headers={"Authorization": header}
        )
        assert status == 200, header
    for header in (f"Bearer {UNKNOWN}", basic(UNKNOWN)):
        status, _, body = raw(
            stripe_emulator, "GET", "/v1/customers", headers={"Authorization": header}
        )
        assert status == 401, header
        assert body["error"]["message"].startswith("Invalid API Key provided: sk_test_")
    status, _, body = raw(stripe_emulator, "GET", "/v1/customers")
    assert status == 401
    assert body["error"]["message"].startswith("You did not provide an API key.")


def test_the_control_api_takes_no_key(stripe_emulator):
    # /_emulator/ is the emulator's own API (no Stripe counterpart): no Authorization.
    status, _, body = raw(stripe_emulator, "GET", "/_emulator/clock")
    assert status == 200
    assert isinstance(body["now"], int)


def test_a_server_accepts_each_key_it_is_given_and_no_other():
    server = EmulatorServer("127.0.0.1", 0, api_keys=["sk_test_one", "sk_test_two"]).start()
    try:
        for key in ("sk_test_one", "sk_test_two"):
            assert client_with(server, key).v1.customers.list().data == []
        for key in (DEFAULT_API_KEY, "sk_test_three"):
            with pytest.raises(stripe.AuthenticationError):
                client_with(server, key).v1.customers.list()
    finally:
        server.stop()


@pytest.mark.parametrize("key", ["sk_live_51Live", "pk_test_51Pub", "sk_test_", "rk_test_51R"])
def test_only_test_mode_secret_keys_can_be_given(key):
    with pytest.raises(ValueError, match="sk_test_"):
        EmulatorServer("127.0.0.1", 0, api_keys=[key])


def test_the_module_accepts_its_api_key_flags_and_refuses_another_key():
    proc = Process("--api-key", "sk_test_first", "--api-key", "sk_test_second")
    try:
        assert "API keys accepted" in proc.proc.stdout.readline()
        assert proc.client("sk_test_first").v1.customers.list().data == []
        assert proc.client("sk_test_second").v1.customers.list().data == []
        with pytest.raises(stripe.AuthenticationError) as caught:
            proc.client("sk_test_someone_else").v1.customers.list()
        assert caught.value.http_status == 401
    finally:
        assert proc.stop() == 0


def test_without_an_api_key_flag_the_module_accepts_the_default_key_and_says_so():
    proc = Process(default_key=True)
    try:
        line = proc.proc.stdout.readline()
        assert f"no --api-key given: the API accepts the default key {DEFAULT_API_KEY}" in line
        assert proc.client(DEFAULT_API_KEY).v1.customers.list().data == []
        with pytest.raises(stripe.AuthenticationError):
            proc.client("sk_test_cli").v1.customers.list()
    finally:
        assert proc.stop() == 0


def test_the_module_refuses_to_start_with_a_live_key():
    proc = subprocess.run(
        [sys.executable, "-m", "stripe_emulator", "--port", "0", "--api-key", "sk_live_51X"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert proc.returncode == 2
    assert "--api-key: an emulator API key is a test-mode secret key, sk_test_" in proc.stderr
