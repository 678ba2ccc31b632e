"""The standalone process (python -m stripe_emulator) and thread safety."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest
import stripe  # noqa: TID251 - the emulator is tested through the official SDK

ROOT = Path(__file__).resolve().parents[2]


class Process:
    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
            [sys.executable, "-m", "stripe_emulator", "--port", "0", *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        line = self.proc.stdout.readline()
        assert "listening on" in line, line + self.proc.stderr.read()
        self.url = line.rsplit(" ", 1)[1].strip()

    def client(self):
        return stripe.StripeClient(
            "sk_test_cli", base_addresses={"api": self.url}, max_network_retries=0
        )

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=10)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return code


def test_module_runs_stops_cleanly_and_keeps_state(tmp_path):
    state = tmp_path / "stripe.json"
    first = Process("--state", str(state))
    try:
        customer = first.client().v1.customers.create(params={"email": "keep@example.com"})
        kept = first.client().v1.customers.create(
            params={"email": "k@example.com"}, options={"idempotency_key": "kept"}
        )
    finally:
        assert first.stop() == 0
    assert state.exists()
    second = Process("--state", str(state))
    try:
        fetched = second.client().v1.customers.retrieve(customer.id)
        assert fetched.email == "keep@example.com"
        # Idempotency keys survive the restart too.
        replay = second.client().v1.customers.create(
            params={"email": "k@example.com"}, options={"idempotency_key": "kept"}
        )
        assert replay.id == kept.id
        assert replay.last_response.headers["Idempotent-Replayed"] == "true"
    finally:
        assert second.stop() == 0


def test_module_registers_a_webhook_endpoint_with_a_known_secret():
    proc = Process("--webhook-url", "http://127.0.0.1:9/hook", "--webhook-secret", "whsec_known")
    try:
        endpoints = proc.client().v1.webhook_endpoints.list().data
        assert [e.url for e in endpoints] == ["http://127.0.0.1:9/hook"]
        assert endpoints[0].enabled_events == ["*"]
    finally:
        assert proc.stop() == 0


def test_without_state_file_nothing_survives(stripe_emulator):
    proc = Process()
    try:
        with urllib.request.urlopen(proc.url + "/_emulator/clock", timeout=5) as response:  # noqa: S310
            assert "now" in json.loads(response.read())
    finally:
        assert proc.stop() == 0


def test_concurrent_requests_are_all_served(stripe_emulator):
    client = stripe_emulator.client()
    ids: list[str] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(10):
                ids.append(client.v1.customers.create(params={}).id)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(ids)) == 80
    listed = [c.id for c in client.v1.customers.list(params={"limit": 100}).data]
    assert sorted(listed) == sorted(ids)


def test_concurrent_same_key_creates_one_object(stripe_emulator):
    client = stripe_emulator.client()
    results: list[str] = []

    def work() -> None:
        customer = client.v1.customers.create(
            params={"email": "same@example.com"}, options={"idempotency_key": "shared"}
        )
        results.append(customer.id)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 6
    assert len(set(results)) == 1
    assert len(client.v1.customers.list().data) == 1


@pytest.mark.parametrize("flag", ["--webhook-url", "--webhook-secret"])
def test_webhook_flags_go_together(flag):
    proc = subprocess.run(  # noqa: S603 - our own module
        [sys.executable, "-m", "stripe_emulator", flag, "x"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert proc.returncode == 2
    assert "go together" in proc.stderr


def test_the_emulator_does_not_import_the_stripe_sdk():
    code = (
        "import sys, stripe_emulator.server, stripe_emulator.__main__; "
        "sys.exit(1 if 'stripe' in sys.modules else 0)"
    )
    proc = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, timeout=20, check=False
    )
    assert proc.returncode == 0, proc.stderr
