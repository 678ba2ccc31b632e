"""The entitlements endpoints, as the tests call them."""

from __future__ import annotations

ME = "/api/entitlements/me/"

# A cache on a port nothing listens on: Redis out, as override_settings(CACHES=...) sets it.
REDIS_DOWN = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        "KEY_PREFIX": "meter-down",
    }
}


def read_url(article_id: str) -> str:
    return f"/api/entitlements/articles/{article_id}/read/"


def read(client, article_id: str, **headers):
    return client.post(read_url(article_id), **headers)


def drain() -> int:
    """The periodic drain's work, now: reads counted in Redis (METER_STORE=redis) into
    PostgreSQL. Nothing to do with METER_STORE=database."""
    from entitlements.meter_drain import meter_drain

    return meter_drain()


def forget_reader_in_redis(reader_key: str) -> int:
    """A cache loss for one reader: every key of theirs in this run's Redis goes (the
    meter, the cached decision, the generation); the stream of reads stays."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    keys = list(client.scan_iter(match=f"{prefix}:*{reader_key}*", count=1000))
    return client.delete(*keys) if keys else 0


def run_together(work, count: int = 12) -> list:
    """Start `count` threads at the same instant, each with its own database
    connection; return what each returned (work(i))."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list = []

    def target(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def anonymous_reads(client, *articles: str, reader_id: str = "") -> tuple[str, list[dict]]:
    """Read articles as one anonymous reader (X-Reader-Id; a new one when empty):
    (the reader id, each answer)."""
    answers = []
    for article in articles:
        headers = {"HTTP_X_READER_ID": reader_id} if reader_id else {}
        response = read(client, article, **headers)
        assert response.status_code == 200, response.content
        reader_id = reader_id or response["X-Reader-Id"]
        answers.append(response.json())
    return reader_id, answers


def waiting_on_a_lock() -> int:
    """How many of this database's sessions wait on a lock now (asked inside a
    transaction too: its snapshot of the activity is dropped first)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return int(cursor.fetchone()[0])
