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
if not os.environ.get("ENTITLEMENT_SIGNING_KEYS"):
    # Every gunicorn worker must sign with the same key: the bench's parent process
    # makes one and passes it on in the environment.
    import json
    import time

    from entitlements.signing_keys import CURRENT, key_new

    os.environ["ENTITLEMENT_SIGNING_KEYS"] = json.dumps(
        {"keys": [key_new(now=int(time.time()), state=CURRENT)]}
    )

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.entitlements_urls"
CACHES["default"]["KEY_PREFIX"] = os.environ.get("BENCH_CACHE_PREFIX", "bench-ent")  # noqa: F405
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
