"""Settings for bench/entitlements.py's gunicorn: production settings (DEBUG off),
bench-only secrets, and the bench urls (the real API plus a bare DRF view)."""

import os

os.environ["DJANGO_READ_DOT_ENV"] = "false"
os.environ["DEBUG"] = "false"
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "b3nch" * 10)
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("STRIPE_SECRET_KEY", "sk_test_bench")
os.environ.setdefault("STRIPE_WEBHOOK_SECRET", "whsec_bench")
os.environ["SECURE_SSL_REDIRECT"] = "false"

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.entitlements_urls"
CACHES["default"]["KEY_PREFIX"] = os.environ.get("BENCH_CACHE_PREFIX", "bench-ent")  # noqa: F405
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
