"""Test settings: production settings (DEBUG off) with test secrets from here.

The suite runs with DEBUG off, as production does, so that the refusal of
development defaults and the security settings are exercised, not bypassed.
DATABASE_URL and REDIS_URL pass through from the environment (CI sets them).
"""

import json
import os
import time

os.environ["DJANGO_READ_DOT_ENV"] = "false"
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-" + "k3y" * 16)
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("STRIPE_SECRET_KEY", "sk_test_tests")
os.environ.setdefault("STRIPE_WEBHOOK_SECRET", "whsec_tests")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
# A signing key of this run only (the edge tokens' key set; tests of rotation use files).
if not os.environ.get("ENTITLEMENT_SIGNING_KEYS"):
    from entitlements.signing_keys import CURRENT, key_new

    os.environ["ENTITLEMENT_SIGNING_KEYS"] = json.dumps(
        {"keys": [key_new(now=int(time.time()), state=CURRENT)]}
    )
# Without REDIS_URL the suite runs in one process on the in-memory cache.
os.environ.setdefault("ALLOW_PER_PROCESS_CACHE", "true")

from config.settings import *  # noqa: F403

# Fast hashing: the suite creates many users; production keeps Django's default.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks run in process, except in the worker a test starts (tests/worker.py),
# which listens on this run's own queue so that concurrent runs never meet.
CELERY_TASK_ALWAYS_EAGER = os.environ.get("TEST_CELERY_EAGER", "true") == "true"
CELERY_TASK_DEFAULT_QUEUE = os.environ.setdefault("TEST_CELERY_QUEUE", f"tests-{os.getpid()}")
# No collectstatic before tests: serve static names as they are.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

if "KEY_PREFIX" in CACHES["default"]:  # noqa: F405
    # One prefix per test run: concurrent runs on one Redis never see each other. Like the
    # queue, it passes to the processes a test starts (workers, web instances), which share
    # the run's cache as production's processes share theirs.
    CACHES["default"]["KEY_PREFIX"] = os.environ.setdefault(  # noqa: F405
        "TEST_CACHE_KEY_PREFIX", f"test-{os.getpid()}"
    )
