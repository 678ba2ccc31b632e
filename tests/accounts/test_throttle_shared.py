"""Two web processes share one throttle count (Redis), even when attempts race.

Each process is a fresh interpreter with the production settings module,
pointed at this run's Redis and test database, firing bad logins from
several threads at once against one account.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest
from django.conf import settings

from tests.worker import ROOT, _database_url

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db]

PROCESSES = 2
THREADS = 4
ATTEMPTS_PER_THREAD = 3  # 24 attempts in all
LIMIT = 10

WEB_PROCESS = """
import json, sys, threading
import django
django.setup()
from django.test import Client

print("ready", flush=True)
sys.stdin.readline()  # go

answers = []
lock = threading.Lock()

def attack(thread):
    client = Client()
    for attempt in range(int(sys.argv[2])):
        status = client.post(
            "/api/auth/login/",
            {"email": "target@example.com", "password": f"guess {thread}.{attempt}"},
            content_type="application/json",
            REMOTE_ADDR=f"10.0.{thread}.{attempt}",
        ).status_code
        with lock:
            answers.append(status)
    from django.db import connection
    connection.close()

threads = [threading.Thread(target=attack, args=(t,)) for t in range(int(sys.argv[1]))]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps(answers), flush=True)
"""


def web_process(prefix: str) -> subprocess.Popen[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("THROTTLE_", "DJANGO_"))},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_READ_DOT_ENV": "false",
        "DEBUG": "false",
        "SECRET_KEY": "shared-throttle-test-secret-" + "x9" * 20,
        "ALLOWED_HOSTS": "testserver",
        "SECURE_SSL_REDIRECT": "false",
        "STRIPE_SECRET_KEY": "sk_test_shared",
        "STRIPE_WEBHOOK_SECRET": "whsec_shared",
        "ENTITLEMENT_SIGNING_KEYS": settings.ENTITLEMENT_SIGNING_KEYS,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CACHE_KEY_PREFIX": prefix,
        "THROTTLE_LOGIN_ACCOUNT": f"{LIMIT}/min",
        "THROTTLE_LOGIN_IP": "1000/min",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", WEB_PROCESS, str(THREADS), str(ATTEMPTS_PER_THREAD)],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_racing_attempts_in_two_processes_are_counted_once_against_one_limit():
    import redis

    prefix = f"shared-throttle-{uuid.uuid4().hex[:8]}"
    processes = [web_process(prefix) for _ in range(PROCESSES)]
    try:
        for process in processes:
            assert process.stdout is not None
            ready = process.stdout.readline().strip()
            assert ready == "ready", process.stderr.read() if process.stderr else ""
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        answers: list[int] = []
        for process in processes:
            out, err = process.communicate(timeout=120)
            assert process.returncode == 0, err
            answers += json.loads(out.strip().splitlines()[-1])
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        client = redis.Redis.from_url(settings.REDIS_URL)
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)

    assert len(answers) == PROCESSES * THREADS * ATTEMPTS_PER_THREAD
    assert answers.count(400) == LIMIT  # wrong password, let through to be checked
    assert answers.count(429) == len(answers) - LIMIT
