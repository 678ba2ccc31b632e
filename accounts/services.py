"""Account writes: erasing a person's account data, and the sign-in throttles' counts."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from django.db import connection

from accounts.models import ThrottleCounter, User
from config.cache import cache_call


def user_erase_personal_data(*, user: User) -> None:
    """Erase what this app holds about a person: their sign-in tokens, email addresses,
    password and roles. The row stays, anonymised and inactive, so that the records of
    other apps that point at it stay meaningful (support.services.user_delete_account
    erases the rest of a reader who leaves)."""
    from allauth.account.models import EmailAddress
    from rest_framework.authtoken.models import Token

    Token.objects.filter(user=user).delete()
    EmailAddress.objects.filter(user=user).delete()
    user.email = f"deleted-{user.pk}@deleted.invalid"
    user.set_unusable_password()
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.last_login = None
    user.save()
    user.groups.clear()
    user.user_permissions.clear()


# --- Sign-in throttles ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ThrottleDecision:
    allowed: bool
    retry_after: int | None  # whole seconds until the window ends, when refused


def throttle_attempt_record(*, key: str, limit: int, window_seconds: int) -> ThrottleDecision:
    """Count one attempt against `key`; allowed while the window holds at most `limit`.

    A window begins with the first attempt and lasts `window_seconds`; every
    attempt counts, refused ones too, and the window does not move with them.
    The count is one atomic increment in the shared cache, so concurrent
    attempts in any number of processes are each counted once. While the
    cache is out (config.cache) the same count is kept in the database.
    """
    decision = cache_call(
        operation="throttle count",
        fn=lambda backend: _cache_attempt_record(backend, key, limit, window_seconds),
        default=None,
    )
    if decision is not None:
        return decision
    return _database_attempt_record(key, limit, window_seconds)


def _refused(resets_in: float, window_seconds: int) -> ThrottleDecision:
    return ThrottleDecision(False, min(max(1, math.ceil(resets_in)), window_seconds))


def _cache_attempt_record(backend: Any, key: str, limit: int, window: int) -> ThrottleDecision:
    count_key, start_key = f"{key}:n", f"{key}:t"
    now = time.time()
    if backend.add(count_key, 1, timeout=window):
        backend.set(start_key, now, timeout=window)
        count = 1
    else:
        try:
            count = backend.incr(count_key)
        except ValueError:  # the window ended between add and incr: this one begins the next
            backend.set(count_key, 1, timeout=window)
            backend.set(start_key, now, timeout=window)
            count = 1
    if count <= limit:
        return ThrottleDecision(True, None)
    started = backend.get(start_key)
    return _refused(window - (now - started) if started else window, window)


def _database_attempt_record(key: str, limit: int, window: int) -> ThrottleDecision:
    now = time.time()
    quote = connection.ops.quote_name
    table = quote(ThrottleCounter._meta.db_table)
    k, c, e = quote("key"), quote("count"), quote("window_ends_at")
    # One statement, atomic on PostgreSQL and SQLite: a new row, a new window
    # over an ended one, or one more in the running window.
    sql = (
        f"INSERT INTO {table} ({k}, {c}, {e}) VALUES (%s, 1, %s) "  # noqa: S608 - names are ours
        f"ON CONFLICT ({k}) DO UPDATE SET "
        f"{c} = CASE WHEN {table}.{e} <= %s THEN 1 ELSE {table}.{c} + 1 END, "
        f"{e} = CASE WHEN {table}.{e} <= %s THEN %s ELSE {table}.{e} END "
        f"RETURNING {c}, {e}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, now + window, now, now, now + window])
        count, ends_at = cursor.fetchone()
    if count == 1:  # a window began: forget those that have ended
        ThrottleCounter.objects.filter(window_ends_at__lt=now).delete()
    if count <= limit:
        return ThrottleDecision(True, None)
    return _refused(ends_at - now, window)
