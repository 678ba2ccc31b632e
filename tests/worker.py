"""A real Celery worker for tests where asynchrony matters (Redis broker, PostgreSQL).

It runs in its own process on this test run's queue, against the test
database, with Stripe pointed at the emulator: exactly as production runs it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]


def _database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def celery_worker(
    *,
    stripe_url: str,
    stripe_key: str,
    env: dict[str, str] | None = None,
    output: Path | None = None,
    pool: str = "solo",
    name: str | None = None,
) -> Iterator[subprocess.Popen[str]]:
    """A worker process; `env` adds settings (e.g. CELERY_TASK_TIME_LIMIT).

    The solo pool is one process (killing it kills the worker); the prefork
    pool, production's, enforces time limits.

    Its log goes to `output` when given (readable while it runs), else to
    its stdout pipe (readable once it has stopped). `name` tells apart two
    workers started together (each Celery node needs its own name).
    """
    from config.celery import app

    node = f"{name or settings.CELERY_TASK_DEFAULT_QUEUE}@{os.uname().nodename}"

    log = output.open("w") if output is not None else subprocess.PIPE
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "TEST_CELERY_EAGER": "false",
        "TEST_CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "STRIPE_API_BASE": stripe_url,
        "STRIPE_SECRET_KEY": stripe_key,
        **(env or {}),
    }
    worker = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            settings.CELERY_TASK_DEFAULT_QUEUE,
            f"--pool={pool}",
            "--concurrency=1",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "-n",
            node,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            replies = app.control.ping(destination=[node], timeout=0.5)
            if replies:
                break
            if worker.poll() is not None:
                exited = output.read_text() if output is not None else worker.stdout.read()  # type: ignore[union-attr]
                raise RuntimeError(f"the worker exited: {exited}")
        else:
            raise RuntimeError("the worker did not answer within 60 s")
        yield worker
    finally:
        app.conf.task_always_eager = eager
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        if output is not None:
            log.close()  # type: ignore[union-attr]


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.2) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
