"""The standalone process (python -m stripe_emulator) and thread safety."""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from tests.helpers.stripe_emulator import ROOT, Process
from tests.stripe_emulator.receiver import Receiver

SECRET = "whsec_shutdown_test"


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
    # https://docs.stripe.com/api/idempotent_requests: a request meeting the same key in
    # flight gets 409 idempotency_key_in_use (tests/stripe_emulator/test_concurrency.py),
    # which the SDK retries into the replay.
    client = stripe_emulator.client(max_network_retries=2)
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
    shared = [r for r in stripe_emulator.requests() if r["idempotency_key"] == "shared"]
    assert {r["status"] for r in shared} <= {200, 409}
    assert len([r for r in shared if r["status"] == 200 and not r.get("replayed")]) == 1


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


class SilentReceiver:
    """A webhook endpoint that accepts connections and never answers (a hung app)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.sock.settimeout(0.05)
        self.held: list[socket.socket] = []
        self.closing = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.closing.is_set():
            with contextlib.suppress(TimeoutError):
                self.held.append(self.sock.accept()[0])

    def close(self) -> None:
        self.closing.set()
        self.thread.join()
        for conn in self.held:
            conn.close()
        self.sock.close()


def _create_customers_until_refused(url: str, created: list[str]) -> None:
    while True:
        request = urllib.request.Request(  # noqa: S310 - loopback
            url + "/v1/customers",
            data=b"email=busy%40example.com",
            headers={"Authorization": "Bearer sk_test_cli"},
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                created.append(json.loads(response.read())["id"])
        except OSError:
            return


@pytest.mark.parametrize("attempt", range(3))
def test_sigterm_while_serving_and_delivering_stops_fast_and_keeps_everything(tmp_path, attempt):
    """SIGTERM in the middle of requests and of webhook attempts to a receiver that
    never answers: the process exits 0 within a few seconds, its state file holds
    every customer it answered for, and the undelivered webhooks go out after a
    restart (at least once)."""
    state = tmp_path / "stripe.json"
    hung = SilentReceiver()
    first = Process("--state", str(state), "--webhook-url", hung.url, "--webhook-secret", SECRET)
    created: list[str] = []
    workers = [
        threading.Thread(target=_create_customers_until_refused, args=(first.url, created))
        for _ in range(3)
    ]
    try:
        for worker in workers:
            worker.start()
        deadline = time.monotonic() + 10
        while len(created) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert hung.held, "no webhook attempt reached the receiver"
        signalled = time.monotonic()
        first.proc.send_signal(signal.SIGTERM)
        code = first.proc.wait(timeout=30)
        took = time.monotonic() - signalled
    finally:
        if first.proc.poll() is None:
            first.proc.kill()
        for worker in workers:
            worker.join(timeout=10)
        hung.close()
    assert code == 0
    assert took < 5, f"took {took:.1f}s to stop"
    saved = json.loads(state.read_text())
    assert set(created) <= set(saved["collections"]["customer"])

    # The app answers again, on the same address, and the emulator starts again.
    receiver = Receiver(secret=SECRET, port=hung.port)
    second = Process("--state", str(state))
    try:
        with urllib.request.urlopen(  # noqa: S310 - loopback
            urllib.request.Request(  # noqa: S310
                second.url + "/_emulator/webhooks/flush",
                data=b'{"retries": true}',
                headers={"Content-Type": "application/json"},
            ),
            timeout=60,
        ) as response:
            assert json.loads(response.read())["pending"] == 0
        delivered = {e.data.object.id for e in receiver.take() if e.type == "customer.created"}
        assert set(created) <= delivered
    finally:
        receiver.stop()
        assert second.stop() == 0
