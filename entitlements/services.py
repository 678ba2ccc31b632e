"""Every write of entitlements state (docs/architecture.md, "Inside an app"): reads
counted, meters merged, grants given and revoked, caches invalidated. Service keys:
entitlements/api_keys.py."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from audit.services import Actor, audit_reason_checked, audit_record
from config.batches import delete_in_batches
from config.errors import ApplicationError
from entitlements import cache
from entitlements.meter_store import (
    meter_count,
    meter_forget_later,
    meter_snapshot,
    meter_store_active,
    meter_version_bump,
)
from entitlements.models import Grant, Meter, MeteredRead, ReaderVersion
from entitlements.readers import Reader, anonymous_reader_from_request
from entitlements.selectors import (
    METERED,
    UNLIMITED,
    entitlement_decide,
    exhausted_reason,
    free_articles_anonymous,
    free_articles_registered,
    month_start,
)

ARTICLE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


# --- Invalidation -------------------------------------------------------------


def reader_version_bump(*, reader: Reader) -> None:
    """The reader's decision moved: one more to their version (the tokens' `ver`), in one query."""
    table = ReaderVersion._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (reader_key, version, changed_at) VALUES (%s, 1, %s) "  # noqa: S608 - our table's name
            f"ON CONFLICT (reader_key) DO UPDATE SET version = {table}.version + 1, "
            "changed_at = excluded.changed_at",
            [reader.key, timezone.now()],
        )


def entitlement_invalidate(*, reader: Reader) -> None:
    """The reader's decision moved: bump their version and forget every cached decision.

    An anonymous reader metered in Redis has their version there (it moves with
    each counted read, entitlements.meter_store): it moves too.
    """
    reader_version_bump(reader=reader)
    if meter_store_active(reader):
        meter_version_bump(reader=reader, month=month_start(timezone.now()))
    cache.generation_bump(reader.key)


def entitlement_invalidate_on_commit(*, reader: Reader) -> None:
    """Bump the version within this transaction and invalidate now, and again once committed.

    The second invalidation matters: a concurrent request may recompute from
    the state before the commit in between, and its decision must not survive
    the commit. The version commits (or rolls back) with the change itself.
    """
    if not transaction.get_connection().in_atomic_block:
        entitlement_invalidate(reader=reader)
        return
    reader_version_bump(reader=reader)
    cache.generation_bump(reader.key)
    transaction.on_commit(lambda: cache.generation_bump(reader.key))


def readers_registration_changed(anonymous_ids: list[str]) -> None:
    """newsletters.services.reader_links_changed_hooks calls this (after commit) when
    anonymous readers start or stop metering as registered (a confirmed address)."""
    for anonymous_id in anonymous_ids:
        entitlement_invalidate(reader=Reader(anonymous_id=uuid.UUID(anonymous_id).hex))


def subscription_changed(user: User | None) -> None:
    """billing.services.subscription_changed_hooks calls this after every subscription change."""
    if user is not None:
        entitlement_invalidate(reader=Reader(user_id=user.pk))


# --- Metering -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReadOutcome:
    granted: bool
    access: str
    reason: str
    remaining: int | None


def article_id_validate(article_id: str) -> str:
    if not ARTICLE_ID.match(article_id):
        raise ApplicationError(
            "An article id is 1 to 128 characters of A-Z, a-z, 0-9, '.', '_', ':' and '-'.",
            code="invalid_article_id",
        )
    return article_id


def entitlement_read_article(
    *, reader: Reader, article_id: str, now: datetime | None = None
) -> ReadOutcome:
    """May this reader read this article now? Counts it against the meter when it must.

    Unlimited readers, re-reads of a counted article and readers past the limit
    are answered from the cached decision (no query when it is warm). Only a new
    article for a metered reader goes to the database, under the meter's lock.

    An anonymous reader metered in Redis is always metered, and while both
    allowances are one, their limit needs no decision: the count script answers
    a new article, a re-read and a refusal alike, in one round trip.
    """
    article_id_validate(article_id)
    now = now or timezone.now()
    limit = free_articles_anonymous()
    if meter_store_active(reader) and limit == free_articles_registered():
        counted = meter_count(
            reader=reader, article_id=article_id, now=now, month=month_start(now), limit=limit
        )
        if counted is not None:
            return _metered_outcome(granted=counted.granted, used=counted.used, limit=limit)
    decision = entitlement_decide(reader=reader, now=now)
    if decision.metered is None:
        return ReadOutcome(True, UNLIMITED, decision.reason, None)
    if article_id in decision.articles:
        return ReadOutcome(True, METERED, METERED, decision.metered.remaining)
    limit = decision.metered.limit
    if decision.metered.remaining <= 0:
        return ReadOutcome(False, METERED, decision.reason, 0)
    granted, used = meter_record_read(reader=reader, article_id=article_id, now=now, limit=limit)
    return _metered_outcome(granted=granted, used=used, limit=limit)


def _metered_outcome(*, granted: bool, used: int, limit: int) -> ReadOutcome:
    reason = METERED if granted else exhausted_reason(limit=limit, used=used)
    return ReadOutcome(granted, METERED, reason, max(limit - used, 0))


def _meter_locked(*, reader: Reader, month: datetime) -> Meter:
    """The reader's meter for the month, created if missing, locked until the transaction ends."""
    where = {"month": month.date(), **reader.meter_filter()}
    Meter.objects.bulk_create([Meter(**where)], ignore_conflicts=True)
    return Meter.objects.select_for_update().get(**where)


def meter_record_read(
    *, reader: Reader, article_id: str, now: datetime | None = None, limit: int | None = None
) -> tuple[bool, int]:
    """Count one article read against the reader's month: (granted, articles used).

    An anonymous reader with METER_STORE=redis is counted in Redis, atomically
    (entitlements.meter_store; PostgreSQL gets the read from the drain), unless
    Redis is out: then, as every other reader, in PostgreSQL, where the meter
    row's lock serialises one reader's reads, so that two different articles
    read at once cannot both take the last free article; the unique (meter,
    article) constraint counts an article once.

    A read counted in PostgreSQL because Redis was out marks the meter stale in
    Redis (in the same transaction): the drain deletes the reader's hash, which
    lacks the read, even if this process dies before Redis is back (this
    process deletes it sooner, at its first Redis answer after the commit).
    """
    now = now or timezone.now()
    month = month_start(now)
    if limit is None:  # the reader's allowance, as the decision says
        metered = entitlement_decide(reader=reader, now=now).metered
        limit = metered.limit if metered is not None else free_articles_registered()
    redis_out = False
    if meter_store_active(reader):
        in_redis = meter_count(
            reader=reader, article_id=article_id, now=now, month=month, limit=limit
        )
        if in_redis is not None:
            return in_redis.granted, in_redis.used
        redis_out = True
    with transaction.atomic():
        meter = _meter_locked(reader=reader, month=month)
        counted = set(MeteredRead.objects.filter(meter=meter).values_list("article_id", flat=True))
        if article_id in counted:
            return True, len(counted)
        if len(counted) >= limit:
            return False, len(counted)
        MeteredRead.objects.create(meter=meter, article_id=article_id, read_at=now)
        if redis_out:
            Meter.objects.filter(pk=meter.pk).update(
                redis_stale=True, redis_marks=F("redis_marks") + 1
            )
            transaction.on_commit(lambda: meter_forget_later(reader=reader, month=month))
        entitlement_invalidate_on_commit(reader=reader)
    return True, len(counted) + 1


def meter_merge_anonymous(*, user: User, anonymous: Reader, now: datetime | None = None) -> int:
    """On registration or login: this month's anonymous reads join the account's meter.

    Never above the limit: the account's own reads stay, and the anonymous ones
    (oldest first) fill what room is left. The anonymous meter is kept, so
    signing out does not hand out fresh free articles. Returns how many joined.
    """
    now = now or timezone.now()
    month = month_start(now)
    limit = free_articles_registered()  # an account's allowance
    reader = Reader(user_id=user.pk)
    with transaction.atomic():
        meter = _meter_locked(reader=reader, month=month)
        counted = set(MeteredRead.objects.filter(meter=meter).values_list("article_id", flat=True))
        room = limit - len(counted)
        if room <= 0:
            return 0
        incoming = [
            (article_id, read_at)
            for article_id, read_at in _anonymous_reads(anonymous=anonymous, month=month)
            if article_id not in counted
        ][:room]
        MeteredRead.objects.bulk_create(
            [MeteredRead(meter=meter, article_id=a, read_at=at) for a, at in incoming]
        )
        if incoming:
            entitlement_invalidate_on_commit(reader=reader)
    return len(incoming)


def _anonymous_reads(*, anonymous: Reader, month: datetime) -> list[tuple[str, datetime]]:
    """An anonymous reader's reads this month, oldest first: from Redis when metered
    there (the reads not drained yet included), else from PostgreSQL."""
    if meter_store_active(anonymous):
        snapshot = meter_snapshot(reader=anonymous, month=month)
        if snapshot is not None:
            return list(snapshot.reads)
    return list(
        MeteredRead.objects.filter(meter__month=month.date(), **anonymous.meter_filter("meter__"))
        .order_by("read_at", "id")
        .values_list("article_id", "read_at")
    )


def meter_merge_from_request(*, user: User, request: Any) -> int:
    """Merge the anonymous meter a sign-in request presents (header or cookie), if any.

    A missing or invalid reader id merges nothing and never stops the sign-in.
    """
    anonymous = anonymous_reader_from_request(request)
    if anonymous is None:
        return 0
    return meter_merge_anonymous(user=user, anonymous=anonymous)


def meter_erase_for_user(*, user: User) -> int:
    """Forget which articles an account read (a reader leaving: personal data goes).

    Returns how many counted reads were erased.
    """
    with transaction.atomic():
        erased, _ = MeteredRead.objects.filter(meter__user=user).delete()
        Meter.objects.filter(user=user).delete()
        entitlement_invalidate_on_commit(reader=Reader(user_id=user.pk))
    return erased


# --- Complimentary grants -----------------------------------------------------


def _grant_snapshot(grant: Grant) -> dict[str, str | None]:
    return {
        "starts_at": grant.starts_at.isoformat(),
        "ends_at": grant.ends_at.isoformat(),
        "revoked_at": grant.revoked_at.isoformat() if grant.revoked_at else None,
    }


def grant_create(
    *,
    reader: User,
    ends_at: datetime,
    reason: str,
    granted_by: User | None,
    starts_at: datetime | None = None,
) -> Grant:
    """Complimentary unlimited access from starts_at (default now) to ends_at, audited."""
    starts_at = starts_at or timezone.now()
    if ends_at <= starts_at:
        raise ApplicationError(
            "A grant must end after it starts.",
            code="invalid_grant_period",
            fields={"ends_at": ["Must be after the start."]},
        )
    reason = audit_reason_checked(reason=reason)
    with transaction.atomic():
        grant = Grant.objects.create(
            reader=reader,
            starts_at=starts_at,
            ends_at=ends_at,
            reason=reason,
            granted_by=granted_by,
        )
        audit_record(
            action="entitlement.grant_created",
            actor_type=Actor.STAFF if granted_by else Actor.SYSTEM,
            actor_user=granted_by,
            reader=reader,
            reason=grant.reason,
            after=_grant_snapshot(grant),
        )
        entitlement_invalidate_on_commit(reader=Reader(user_id=reader.pk))
    return grant


def grant_revoke(*, grant: Grant, revoked_by: User | None, reason: str = "") -> Grant:
    """End a grant now (audited); revoking a revoked grant changes nothing."""
    with transaction.atomic():
        grant = Grant.objects.select_for_update().get(pk=grant.pk)
        if grant.revoked_at is not None:
            return grant
        before = _grant_snapshot(grant)
        grant.revoked_at = timezone.now()
        grant.revoked_by = revoked_by
        grant.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            action="entitlement.grant_revoked",
            actor_type=Actor.STAFF if revoked_by else Actor.SYSTEM,
            actor_user=revoked_by,
            reader=grant.reader,
            reason=reason,
            before=before,
            after=_grant_snapshot(grant),
        )
        entitlement_invalidate_on_commit(reader=Reader(user_id=grant.reader_id))
    return grant


# --- Housekeeping ---------------------------------------------------------------


def meters_purge(
    *, keep_months: int = 2, now: datetime | None = None, limit: int | None = None
) -> int:
    """Delete meters (and their counted reads) of months before the last `keep_months`.

    With the default 2, what is older than last month goes. A run deletes at
    most `limit` meters (RETENTION_ROWS_PER_RUN), a batch at a time, so that a
    month's turnover of a million readers spreads over the job's hourly runs.

    Only the current month decides anything; a little history is kept for
    support. Returns how many meters went. Cached decisions are unaffected:
    they only ever hold the current month. The versions of anonymous readers
    unchanged since then go too (a returning one starts again from 1; their
    tokens expired long ago); accounts keep theirs, one row each. A read of a
    purged month still waiting in Redis's stream (METER_STORE=redis) is written
    by the drain all the same, and goes at the next run.
    """
    if keep_months < 1:
        raise ValueError("keep at least the current month")
    start = month_start(now or timezone.now())
    for _ in range(keep_months - 1):
        start = month_start(start - timedelta(days=1))
    limit = int(settings.RETENTION_ROWS_PER_RUN) if limit is None else limit
    old = Meter.objects.filter(month__lt=start.date())
    purged = delete_in_batches(old, limit=limit, order_by="month")
    quiet = ReaderVersion.objects.filter(reader_key__startswith="a", changed_at__lt=start)
    delete_in_batches(quiet, limit=limit, order_by="changed_at")
    return purged
