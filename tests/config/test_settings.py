"""Settings come from the environment; production refuses development defaults.

Each case imports config.settings in a fresh interpreter with a controlled
environment, exactly as the service would start.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.helpers.settings_probe import CONFIG_VARS, PRODUCTION, ROOT, start


def settings_with(env: dict[str, str]) -> dict:
    result = start(env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_debug_is_off_unless_set_so_an_empty_environment_refuses_to_start():
    result = start({})

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_with_debug_and_nothing_else_it_runs_on_sqlite_memory_cache_and_eager_celery():
    s = settings_with({"DEBUG": "true"})

    assert s["DEBUG"] is True
    assert s["db_engine"] == "django.db.backends.sqlite3"
    assert s["db_name"].endswith("db.sqlite3")
    assert s["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert s["eager"] is True
    assert s["broker"] == "memory://"
    assert s["stripe_key"] == "sk_test_local"
    assert s["stripe_base"] == ""
    assert s["webhook_secrets"] == ["whsec_local"]
    assert (s["trial_days"], s["free_articles"]) == (30, 3)
    assert s["email_backend"] == "django.core.mail.backends.console.EmailBackend"
    assert s["verification"] == "optional"
    assert s["ssl_redirect"] is False


def test_with_database_and_redis_urls_it_uses_postgresql_redis_cache_and_a_redis_broker():
    s = settings_with(
        {
            **PRODUCTION,
            "DATABASE_URL": "postgres://app:pw@db.internal:5432/paywall",
            "REDIS_URL": "redis://cache.internal:6379/0",
        }
    )

    assert s["db_engine"] == "django.db.backends.postgresql"
    assert (s["db_name"], s["db_host"]) == ("paywall", "db.internal")
    assert s["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert s["cache_location"] == "redis://cache.internal:6379/0"
    assert s["broker"] == "redis://cache.internal:6379/0"
    assert s["celery_app_broker"] == "redis://cache.internal:6379/0"
    assert s["celery_app_serializer"] == "json"
    assert s["eager"] is False


def test_production_refuses_to_start_without_a_shared_cache():
    without_redis = {k: v for k, v in PRODUCTION.items() if k != "REDIS_URL"}

    result = start(without_redis)

    assert result.returncode != 0
    assert "REDIS_URL must be set when DEBUG is off" in result.stderr


def test_a_per_process_cache_is_only_allowed_when_asked_for_by_name():
    without_redis = {k: v for k, v in PRODUCTION.items() if k != "REDIS_URL"}

    s = settings_with({**without_redis, "ALLOW_PER_PROCESS_CACHE": "true"})

    assert s["cache"] == "django.core.cache.backends.locmem.LocMemCache"


def test_redis_socket_timeouts_are_short_by_default_and_configurable():
    default = settings_with(PRODUCTION)["cache_options"]
    configured = settings_with(
        {
            **PRODUCTION,
            "REDIS_SOCKET_TIMEOUT_SECONDS": "0.25",
            "REDIS_SOCKET_CONNECT_TIMEOUT_SECONDS": "1",
        }
    )["cache_options"]

    assert default == {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    assert configured == {"socket_connect_timeout": 1.0, "socket_timeout": 0.25}


def test_celery_is_configured_for_reliability():
    s = settings_with({**PRODUCTION, "REDIS_URL": "redis://cache.internal:6379/0"})
    celery = s["celery"]

    assert celery["accept_content"] == ["json"]
    assert celery["task_acks_late"] is True
    assert celery["task_reject_on_worker_lost"] is True
    assert celery["worker_prefetch_multiplier"] == 1
    transport = celery["broker_transport_options"]
    visibility = transport["visibility_timeout"]
    assert celery["task_soft_time_limit"] < celery["task_time_limit"] < visibility
    # a live worker holds a message for a retry's countdown, a wait for a pool
    # process and the run: the message is never delivered twice meanwhile
    assert s["retry_backoff_max"] + 2 * celery["task_time_limit"] <= visibility
    # a killed worker's message comes back within a few minutes, found by a sweep
    assert visibility <= 300
    assert transport["unacked_restore_interval"] <= 10
    assert transport["unacked_restore_throttle"] == 1
    # an event claimed for longer than the time limit belongs to a dead worker
    assert celery["task_time_limit"] < s["stuck_seconds"] <= 2 * celery["task_time_limit"]
    assert s["recovery_bound"] <= 6 * 60  # docs/operations.md, "A killed worker"
    assert celery["beat_scheduler"] == "django_celery_beat.schedulers:DatabaseScheduler"
    assert celery["task_ignore_result"] is True


def test_every_bound_on_a_dead_worker_follows_the_task_time_limit():
    default = settings_with({**PRODUCTION, "REDIS_URL": "redis://cache.internal:6379/0"})
    s = settings_with(
        {**PRODUCTION, "REDIS_URL": "redis://cache.internal:6379/0", "CELERY_TASK_TIME_LIMIT": "30"}
    )
    celery = s["celery"]

    assert default["celery"]["task_time_limit"] == 120
    assert celery["task_time_limit"] == 30
    assert celery["task_soft_time_limit"] == 24
    assert s["retry_backoff_max"] == 15
    assert celery["broker_transport_options"]["visibility_timeout"] == 75
    assert s["stuck_seconds"] == 37
    assert s["recovery_bound"] == 97


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CELERY_TASK_TIME_LIMIT": "1"}, "CELERY_TASK_TIME_LIMIT must be at least 2"),
        ({"STRIPE_EVENT_STUCK_MINUTES": "10"}, "derived from CELERY_TASK_TIME_LIMIT"),
    ],
)
def test_a_stuck_threshold_apart_from_the_time_limit_is_refused(env, message):
    result = start({**PRODUCTION, **env})

    assert result.returncode != 0
    assert message in result.stderr


def test_a_separate_broker_url_wins_over_redis_url():
    s = settings_with(
        {
            **PRODUCTION,
            "REDIS_URL": "redis://cache.internal:6379/0",
            "CELERY_BROKER_URL": "amqp://guest@mq.internal//",
        }
    )

    assert s["broker"] == "amqp://guest@mq.internal//"
    assert s["eager"] is False


def test_production_turns_on_hsts_secure_cookies_and_ssl_redirect():
    s = settings_with(PRODUCTION)

    assert s["DEBUG"] is False
    assert s["ssl_redirect"] is True
    assert s["hsts"] >= 31536000
    assert s["secure_cookies"] is True


def test_several_webhook_secrets_are_accepted_for_a_roll():
    s = settings_with({**PRODUCTION, "STRIPE_WEBHOOK_SECRET": "whsec_old,whsec_new"})

    assert s["webhook_secrets"] == ["whsec_old", "whsec_new"]


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SECRET_KEY", "", "SECRET_KEY must be set"),
        (
            "SECRET_KEY",
            "django-insecure-dev-only-key-never-use-in-production-0123456789",
            "SECRET_KEY is set to its development default",
        ),
        ("ALLOWED_HOSTS", "", "ALLOWED_HOSTS must be set"),
        ("STRIPE_SECRET_KEY", "", "STRIPE_SECRET_KEY must be set"),
        (
            "STRIPE_SECRET_KEY",
            "sk_test_local",
            "STRIPE_SECRET_KEY is set to its development default",
        ),
        ("STRIPE_WEBHOOK_SECRET", "", "STRIPE_WEBHOOK_SECRET must be set"),
        (
            "STRIPE_WEBHOOK_SECRET",
            "whsec_real,whsec_local",
            "STRIPE_WEBHOOK_SECRET is set to its development default",
        ),
    ],
)
def test_production_refuses_missing_secrets_and_development_defaults(variable, value, message):
    result = start({**PRODUCTION, variable: value})

    assert result.returncode != 0
    assert message in result.stderr


def test_an_unknown_email_verification_mode_is_refused():
    result = start({"DEBUG": "true", "ACCOUNT_EMAIL_VERIFICATION": "sometimes"})

    assert result.returncode != 0
    assert "ACCOUNT_EMAIL_VERIFICATION" in result.stderr


def test_smtp_comes_from_the_environment():
    s = settings_with({"DEBUG": "true", "EMAIL_URL": "smtp+tls://user:pw@smtp.example.com:587"})

    assert s["email_backend"] == "django.core.mail.backends.smtp.EmailBackend"


def test_check_deploy_passes_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k not in CONFIG_VARS},
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_READ_DOT_ENV": "false",
            **PRODUCTION,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.postgres
@pytest.mark.django_db
def test_with_database_url_the_service_really_talks_to_postgresql():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        (version,) = cursor.fetchone()

    assert connection.vendor == "postgresql"
    assert version.startswith("PostgreSQL")


@pytest.mark.redis
def test_with_redis_url_the_cache_really_is_redis():
    import redis
    from django.conf import settings
    from django.core.cache import cache

    cache.set("settings-probe", "here", timeout=30)

    raw = redis.Redis.from_url(settings.REDIS_URL)
    assert any(b"settings-probe" in key for key in raw.keys("*settings-probe*"))
    assert cache.get("settings-probe") == "here"
