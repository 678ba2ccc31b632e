"""Liveness and readiness probes (docs/api.md, "Operations")."""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

OK = "ok"
DEGRADED = "degraded"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process answers: no dependency is touched."""
    return JsonResponse({"status": OK})


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any failure means "not ready", whatever the driver raised
        logger.warning("readyz: database check failed", exc_info=True)
        return False


def _cache_ok() -> bool:
    key = f"readyz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", timeout=5)
        ok = cache.get(key) == "1"
        cache.delete(key)
        return ok
    except Exception:  # a cache outage degrades, it does not fail
        logger.warning("readyz: cache check failed", exc_info=True)
        return False


def _broker_ok() -> bool:
    if settings.CELERY_BROKER_URL.startswith("memory://"):
        return True  # no broker: tasks run in process
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=0, timeout=1)
        return True
    except Exception:  # a broker outage degrades, it does not fail
        logger.warning("readyz: broker check failed", exc_info=True)
        return False


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """200 while the database answers; the cache and broker are reported, not required."""
    database = _database_ok()
    body = {
        "status": OK if database else "unavailable",
        "database": OK if database else "unavailable",
        "cache": OK if _cache_ok() else DEGRADED,
        "broker": OK if _broker_ok() else DEGRADED,
        "celery": "eager" if settings.CELERY_TASK_ALWAYS_EAGER else "workers",
    }
    return JsonResponse(body, status=200 if database else 503)
