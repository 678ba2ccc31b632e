"""Web instances for tests of more than one machine: real gunicorn servers, each its own process.

An instance runs as production does (gunicorn with config/gunicorn.py, DEBUG
off) on its own loopback port, against this run's test database, Redis (its
cache prefix and Celery queue too: tests/settings.py passes them on) and the
Stripe emulator. Nothing is shared between instances but what production
shares between machines: PostgreSQL, Redis and the configuration.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from tests.outage import closed_port
from tests.worker import ROOT, _database_url


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Any
    body: Any


@dataclass(frozen=True)
class WebInstance:
    name: str
    url: str

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """One HTTP request to this instance; the answer whatever its status."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - a loopback URL of our own
            self.url + path,
            data=data,
            headers={"Content-Type": "application/json", **(headers or {})},
            method=method,
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return Answer(response.status, response.headers, json.loads(response.read()))
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.headers, json.loads(error.read() or b"null"))


@contextmanager
def web_instances(
    *names: str, stripe_url: str, stripe_key: str, env: dict[str, str] | None = None
) -> Iterator[tuple[WebInstance, ...]]:
    """A gunicorn server (two worker processes) per name, all started at once, for the block."""
    servers: list[tuple[str, int, subprocess.Popen[str]]] = []
    try:
        for name in names:
            port = closed_port()
            servers.append((name, port, _start(port, stripe_url, stripe_key, env or {})))
        for _, port, server in servers:
            wait_until_serving(port, server)
        yield tuple(WebInstance(name, f"http://127.0.0.1:{port}") for name, port, _ in servers)
    finally:
        for _, _, server in servers:
            server.send_signal(signal.SIGINT)  # gunicorn's quick shutdown: nothing to finish
        for _, _, server in servers:
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _start(
    port: int, stripe_url: str, stripe_key: str, env: dict[str, str]
) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--config=python:config.gunicorn",
            f"--bind=127.0.0.1:{port}",
            "--workers=2",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": _database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "TEST_CELERY_EAGER": "false",
            "TEST_CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
            "TEST_CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
            "STRIPE_API_BASE": stripe_url,
            "STRIPE_SECRET_KEY": stripe_key,
            "STRIPE_MAX_NETWORK_RETRIES": "0",
            **env,
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until_serving(port: int, server: subprocess.Popen[str]) -> None:
    """Return once gunicorn on `port` answers /healthz; raise if it exits or takes 60 s."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(server.stderr.read() if server.stderr else "gunicorn exited")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
        else:
            return
    raise RuntimeError("gunicorn did not start serving within 60 s")
