"""Helpers for the emulator's own tests: times, moments, a customer with a card, the process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import stripe  # noqa: TID251 - the emulator is tested through the official SDK

ROOT = Path(__file__).resolve().parents[2]

DAY = 86400
HOUR = 3600


def moment(emulator, receiver) -> set[str]:
    """The event types delivered since the last moment (Stripe gives no order within one)."""
    emulator.flush()
    return {e.type for e in receiver.take()}


def raw(emulator, method, path, body=None, headers=None):
    """Raw HTTP, only for wire details the SDK hides: (status, headers, JSON body)."""
    request = urllib.request.Request(  # noqa: S310 - loopback
        emulator.url + path, data=body, method=method, headers=headers or {}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), json.loads(err.read())


def customer_with_card(client, card: str = "pm_card_visa", **params: Any):
    """A customer whose invoice default is made from the test token `card`: (customer, pm)."""
    customer = client.v1.customers.create(params={"email": "reader@example.com", **params})
    pm = client.v1.payment_methods.attach(card, params={"customer": customer.id})
    customer = client.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": pm.id}}
    )
    return customer, pm


def monthly_price(client, product: str, amount: int, currency: str = "usd"):
    """A monthly price of `amount` (minor units) on `product`."""
    return client.v1.prices.create(
        params={
            "product": product,
            "currency": currency,
            "unit_amount": amount,
            "recurring": {"interval": "month"},
        }
    )


API_KEY = "sk_test_cli"  # the key a Process accepts unless given --api-key


class Process:
    """`python -m stripe_emulator --port 0 --api-key sk_test_cli *args` (no --api-key of
    its own when `args` has one, or with `default_key=True`: the emulator's default)."""

    def __init__(self, *args: str, default_key: bool = False) -> None:
        given = default_key or "--api-key" in args
        keys = () if given else ("--api-key", API_KEY)
        self.proc = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
            [sys.executable, "-m", "stripe_emulator", "--port", "0", *keys, *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        line = self.proc.stdout.readline()
        assert "listening on" in line, line + self.proc.stderr.read()
        self.url = line.rsplit(" ", 1)[1].strip()

    def client(self, api_key: str = API_KEY):
        return stripe.StripeClient(api_key, base_addresses={"api": self.url}, max_network_retries=0)

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=10)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return code
