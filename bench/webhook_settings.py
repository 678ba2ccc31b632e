"""Settings for bench/webhook_ingest.py's gunicorn and Celery workers: the
entitlements bench's (production settings, DEBUG off, the bench urls) on the
bench's own Celery queue, mail rendered but not sent."""

import os

os.environ.setdefault("EMAIL_URL", "dummymail://")

from bench.entitlements_settings import *  # noqa: F403

CELERY_TASK_DEFAULT_QUEUE = os.environ.get("BENCH_QUEUE", "bench-webhooks")
