"""The entitlements endpoints, as the tests call them."""

from __future__ import annotations

ME = "/api/entitlements/me/"


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
