"""Start the settings in a fresh interpreter with a given environment, and read them back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from entitlements.signing_keys import CURRENT, key_new

ROOT = Path(__file__).resolve().parents[2]
CONFIG_VARS = (
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "STRIPE_SECRET_KEY",
    "STRIPE_API_BASE",
    "STRIPE_WEBHOOK_SECRET",
    "TRIAL_DAYS",
    "FREE_ARTICLES_PER_MONTH",
    "SECURE_SSL_REDIRECT",
    "EMAIL_URL",
    "ACCOUNT_EMAIL_VERIFICATION",
    "CELERY_TASK_TIME_LIMIT",
    "STRIPE_EVENT_STUCK_MINUTES",
    "ALLOW_PER_PROCESS_CACHE",
    "REDIS_SOCKET_TIMEOUT_SECONDS",
    "REDIS_SOCKET_CONNECT_TIMEOUT_SECONDS",
    "STRIPE_REQUEST_BUDGET_SECONDS",
    "WEB_TIMEOUT_SECONDS",
    "STRIPE_TIMEOUT_SECONDS",
    "STRIPE_MAX_NETWORK_RETRIES",
    "ENTITLEMENT_SIGNING_KEYS",
    "ENTITLEMENT_TOKEN_SECONDS",
)
PRODUCTION = {
    "SECRET_KEY": "a-real-production-secret-" + "q7" * 20,
    "ALLOWED_HOSTS": "billing.example.com",
    "STRIPE_SECRET_KEY": "sk_live_realkey",
    "STRIPE_WEBHOOK_SECRET": "whsec_real",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "ENTITLEMENT_SIGNING_KEYS": json.dumps({"keys": [key_new(now=1_796_400_000, state=CURRENT)]}),
}
PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "db_engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "db_host": settings.DATABASES["default"].get("HOST", ""),
    "cache": settings.CACHES["default"]["BACKEND"],
    "cache_location": settings.CACHES["default"].get("LOCATION", ""),
    "cache_options": settings.CACHES["default"].get("OPTIONS", {}),
    "broker": settings.CELERY_BROKER_URL,
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "stripe_key": settings.STRIPE_SECRET_KEY,
    "stripe_base": settings.STRIPE_API_BASE,
    "webhook_secrets": settings.STRIPE_WEBHOOK_SECRETS,
    "trial_days": settings.TRIAL_DAYS,
    "free_articles": settings.FREE_ARTICLES_PER_MONTH,
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "hsts": settings.SECURE_HSTS_SECONDS,
    "secure_cookies": settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE,
    "email_backend": settings.EMAIL_BACKEND,
    "verification": settings.ACCOUNT_EMAIL_VERIFICATION,
    "celery_app_broker": __import__("config.celery").celery.app.conf.broker_url,
    "celery_app_serializer": __import__("config.celery").celery.app.conf.task_serializer,
    "celery": {
        k: getattr(__import__("config.celery").celery.app.conf, k)
        for k in (
            "accept_content", "task_acks_late", "task_reject_on_worker_lost",
            "worker_prefetch_multiplier", "task_time_limit", "task_soft_time_limit",
            "broker_transport_options", "beat_scheduler", "task_ignore_result",
        )
    },
    "retry_backoff_max": settings.CELERY_TASK_RETRY_BACKOFF_MAX,
    "stuck_seconds": settings.STRIPE_EVENT_STUCK_SECONDS,
    "recovery_bound": settings.TASK_LIMITS.recovery_bound,
}))
"""


def start(env: dict[str, str], code: str = PROBE) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    clean.update({"DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_READ_DOT_ENV": "false"})
    clean.update(env)
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
