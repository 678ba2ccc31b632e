"""Gunicorn runs with config/gunicorn.py: its timeout is WEB_TIMEOUT_SECONDS, checks first.

Real gunicorn processes, started as docker-compose and the image start them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import pytest

from tests.helpers.instances import wait_until_serving
from tests.helpers.settings_probe import CONFIG_VARS, PRODUCTION, ROOT
from tests.outage import closed_port, hung_server

GUNICORN = [sys.executable, "-m", "gunicorn", "config.wsgi:application"]
CONFIG = "--config=python:config.gunicorn"


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_READ_DOT_ENV": "false"})
    env.update(PRODUCTION)
    env.update(extra)
    return env


def test_the_worker_timeout_is_web_timeout_seconds():
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [*GUNICORN, CONFIG, "--print-config"],
        cwd=ROOT,
        env=environment(WEB_TIMEOUT_SECONDS="17"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    settings = {
        name.strip(): value.strip()
        for name, _, value in (line.partition("=") for line in result.stdout.splitlines())
    }
    assert settings["timeout"] == "17"


def test_gunicorn_refuses_to_start_on_a_budget_not_below_its_timeout():
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [*GUNICORN, CONFIG, f"--bind=127.0.0.1:{closed_port()}"],
        cwd=ROOT,
        env=environment(WEB_TIMEOUT_SECONDS="20", STRIPE_REQUEST_BUDGET_SECONDS="20"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert "billing.E001" in result.stderr


@pytest.mark.postgres
def test_a_hung_stripe_is_a_json_503_before_gunicorn_kills_the_worker(transactional_db, plans):
    from rest_framework.authtoken.models import Token

    from tests.factories import UserFactory
    from tests.worker import _database_url

    token = Token.objects.create(user=UserFactory(email="reader@example.com")).key
    port = closed_port()
    with hung_server() as stripe_port:
        server = subprocess.Popen(  # noqa: S603 - our own interpreter
            [*GUNICORN, CONFIG, f"--bind=127.0.0.1:{port}", "--workers=1"],
            cwd=ROOT,
            env=environment(
                DATABASE_URL=_database_url(),
                ALLOW_PER_PROCESS_CACHE="true",
                REDIS_URL="",
                CACHE_KEY_PREFIX=f"gunicorn-{uuid.uuid4().hex[:8]}",
                ALLOWED_HOSTS="127.0.0.1",
                SECURE_SSL_REDIRECT="false",
                STRIPE_API_BASE=f"http://127.0.0.1:{stripe_port}",
                WEB_TIMEOUT_SECONDS="5",
                STRIPE_REQUEST_BUDGET_SECONDS="2",
                STRIPE_TIMEOUT_SECONDS="20",
                STRIPE_MAX_NETWORK_RETRIES="2",
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            wait_until_serving(port, server)
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/billing/trial/",
                data=json.dumps({"plan": "monthly"}).encode(),
                headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
                method="POST",
            )
            started = time.monotonic()
            with pytest.raises(urllib.error.HTTPError) as answer:
                urllib.request.urlopen(request, timeout=30)  # noqa: S310
            elapsed = time.monotonic() - started
        finally:
            server.terminate()
            server.wait(timeout=30)

    assert answer.value.code == 503
    assert answer.value.headers["Content-Type"] == "application/json"
    assert json.loads(answer.value.read())["code"] == "stripe_unavailable"
    assert elapsed < 5  # before the worker timeout: the worker answered, nobody killed it
