"""Growth: does a year of data slow the hot path? The entitlement decision's median with
N readers and M metered reads against 1,000 readers, from the database and from the cache.

Seeds with PostgreSQL COPY (psycopg), not the ORM: readers (a fifth subscribed, one in
twenty with a grant), a meter per metered reader for this month and the two before
(what the purge leaves at most, and one month it has not reached yet), and M metered
reads spread over those meters; anonymous readers' meters likewise. Prints each
ratio with its target (<= 1.2) and whether it is met, and how long seeding took.

Needs PostgreSQL and Redis on this machine; creates and drops its own database
(test_<name of DATABASE_URL>) and cache key prefix:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/paywall_bench \\
    REDIS_URL=redis://127.0.0.1:6379/3 .venv/bin/python bench/growth.py \\
        [--readers 1000000] [--reads 30000000]
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.entitlements import (  # sets the bench's settings first
    _forget_cache_prefix,
    analyze,
    bench_start,
    decision_medians,
    fmt_us,
)

SMALL = 1000
MONTHS = 3  # meters per reader: this month and the two before
UNUSABLE = "!"


def copy(table: str, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> int:
    """COPY rows into a table; returns how many."""
    from django.db import connection

    count = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as out:
            for row in rows:
                out.write_row(row)
                count += 1
    return count


def months_back(start: date, n: int) -> date:
    for _ in range(n):
        start = (start - timedelta(days=1)).replace(day=1)
    return start


def copy_models(model: Any, objects: Iterable[Any], *, with_pk: bool = True) -> int:
    """COPY model instances (every column, as Django would write it; the primary key
    from its sequence unless `with_pk`)."""
    from django.db import connection

    fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
    return copy(
        model._meta.db_table,
        tuple(f.column for f in fields),
        (
            tuple(f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields)
            for obj in objects
        ),
    )


def seed(first: int, last: int, reads: int, *, plan_id: int, now: datetime) -> list[int]:
    """Readers first..last-1 (ids as given) with their subscriptions, grants, meters and
    `reads` metered reads; also as many anonymous readers' meters as metered readers."""
    from django.db import connection

    from billing.models import Customer, Subscription
    from entitlements.models import Grant

    ids = range(first, last)
    copy(
        "accounts_user",
        ("id", "password", "is_superuser", "email", "is_staff", "is_active", "date_joined"),
        ((i, UNUSABLE, False, f"growth{i}@example.com", False, True, now) for i in ids),
    )
    subscribed = [i for i in ids if i % 5 == 0]
    copy_models(
        Customer, (Customer(id=i, user_id=i, stripe_customer_id=f"cus_g{i}") for i in subscribed)
    )
    copy_models(
        Subscription,
        (
            Subscription(
                id=i,
                user_id=i,
                customer_id=i,
                plan_id=plan_id,
                stripe_subscription_id=f"sub_g{i}",
                status="active",
                current_period_start=now - timedelta(days=10),
                current_period_end=now + timedelta(days=20),
                synced_at=now,
            )
            for i in subscribed
        ),
    )
    copy_models(
        Grant,
        (
            Grant(
                reader_id=i,
                starts_at=now - timedelta(days=1),
                ends_at=now + timedelta(days=30),
                reason="growth",
            )
            for i in ids
            if i % 20 == 1
        ),
        with_pk=False,
    )
    metered = [i for i in ids if i % 5 and i % 20 != 1]
    this_month = now.date().replace(day=1)
    months = [months_back(this_month, k) for k in range(MONTHS)]

    def meters() -> Iterator[tuple[Any, ...]]:
        meter_id = first * MONTHS * 2
        for i in metered:
            for month in months:
                meter_id += 1
                yield (meter_id, i, None, month, now)
                meter_id += 1
                yield (meter_id, None, uuid.UUID(int=i * 97 + month.month), month, now)

    meter_count = copy(
        "entitlements_meter", ("id", "user_id", "anonymous_id", "month", "created_at"), meters()
    )
    per_meter, extra = divmod(reads, max(meter_count, 1))
    start_id = first * MONTHS * 2 + 1

    def read_rows() -> Iterator[tuple[Any, ...]]:
        """Exactly `reads` rows: per_meter for every meter, one more for the first `extra`."""
        for n, meter_id in enumerate(range(start_id, start_id + meter_count)):
            for k in range(per_meter + (n < extra)):
                yield (meter_id, f"article-{k}", now)

    copy("entitlements_meteredread", ("meter_id", "article_id", "read_at"), read_rows())
    with connection.cursor() as cursor:
        for table in (
            "accounts_user",
            "billing_customer",
            "billing_subscription",
            "entitlements_meter",
        ):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - constants
                f"(SELECT MAX(id) FROM {table}))"
            )
    return list(ids)


def use_database(name: str) -> None:
    """Point Django's connection at another database of this run (closed, reopened on use)."""
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = name


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--readers", type=int, default=1_000_000)
    parser.add_argument("--reads", type=int, default=30_000_000)
    parser.add_argument("--samples", type=int, default=1000, help="readers timed per size")
    parser.add_argument("--rounds", type=int, default=5, help="alternating timing rounds")
    args = parser.parse_args()
    report = bench_start("Growth bench")
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from billing.models import Plan

    small_db = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    large_db = f"{small_db}_large"
    plan = Plan.objects.create(
        code="growth", name="Growth", amount=999, currency="usd", interval="month"
    )
    connection.close()
    with connection._nodb_cursor() as cursor:  # the migrated, empty database, copied
        cursor.execute(f'DROP DATABASE IF EXISTS "{large_db}"')
        cursor.execute(f'CREATE DATABASE "{large_db}" TEMPLATE "{small_db}"')
    print(f"databases {small_db} (1,000 readers) and {large_db} created")
    try:
        now = timezone.now()
        small = seed(1, SMALL + 1, args.reads * SMALL // args.readers, plan_id=plan.pk, now=now)
        analyze()
        use_database(large_db)
        started = time.monotonic()
        everyone = seed(1, args.readers + 1, args.reads, plan_id=plan.pk, now=now)
        seeding = time.monotonic() - started
        analyze()
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM entitlements_meteredread")
            [[read_count]] = cursor.fetchall()
            cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            [[size]] = cursor.fetchall()
        print(
            f"seeded {len(everyone):,} readers and {read_count:,} metered reads with COPY "
            f"in {seeding:.0f}s; database {size}"
        )
        # The two sizes are timed in alternating rounds, so whatever else the machine
        # runs weighs on both alike; each keeps the lowest of its rounds' medians.
        timings: dict[str, list[tuple[float, float]]] = {"small": [], "large": []}
        for _ in range(args.rounds):
            for name, database, readers in (
                ("small", small_db, small),
                ("large", large_db, everyone),
            ):
                use_database(database)
                timings[name].append(decision_medians(readers, args.samples, 1))
        for kind, index in (("database", 0), ("cache", 1)):
            a = min(t[index] for t in timings["small"])
            b = min(t[index] for t in timings["large"])
            ratio = b / a
            report.add(
                f"decision from the {kind}, {len(everyone):,} vs {SMALL:,} readers",
                f"{ratio:.2f} ({fmt_us(b)} vs {fmt_us(a)}; {args.rounds} alternating rounds)",
                "<= 1.2",
                ratio <= 1.2,
            )
    finally:
        use_database(small_db)
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{large_db}"')
        connection.creation.destroy_test_db(small_db, verbosity=0)
        _forget_cache_prefix(settings)
    report.print()


if __name__ == "__main__":
    main()
