"""The one decision: may this reader read, and how much (docs/api.md, "The decision").

entitlement_decide answers from the cache when it can (zero database queries)
and from the database otherwise, caching what it computed. The rules, in
order, the first that applies:

1. the reader's subscription grants access now (billing's access selector,
   the one rule for subscriptions, PAST_DUE_GRACE_DAYS included):
   "trialing", "active" or "past_due_grace", until the subscription's end;
   While the reader has paused (billing's pause_is_running), this rule gives
   nothing and, unless a grant or the staff flag applies, the reader is
   metered with reason "paused", `until` the pause's resume date;
2. a complimentary grant running now: "grant", until its end;
3. a staff account: "staff", no end;
4. otherwise metered: distinct articles per calendar month (UTC), "metered",
   or "limit_reached" once they are used. An account (or an anonymous reader
   whose confirmed newsletter address is still on a list) has
   FREE_ARTICLES_REGISTERED, another anonymous reader FREE_ARTICLES_ANONYMOUS
   (both FREE_ARTICLES_PER_MONTH unless set). An anonymous reader out of
   articles who would have more by registering is told "registration_required"
   instead of "limit_reached" (the registration wall). With METER_STORE=redis
   an anonymous reader's articles and version come from their meter in Redis
   (entitlements/meter_store.py), else from the database.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from accounts.models import User
from billing.models import SubscriptionStatus
from billing.selectors import (
    pause_is_running,
    subscription_access_until,
    subscription_get_current,
)
from config.errors import ApplicationError
from entitlements import cache
from entitlements.meter_store import MeterSnapshot, meter_snapshot, meter_store_active
from entitlements.models import Grant, MeteredRead, ReaderVersion
from entitlements.readers import Reader
from newsletters.selectors import reader_is_registered_subscriber

UNLIMITED = "unlimited"
METERED = "metered"
LIMIT_REACHED = "limit_reached"
REGISTRATION_REQUIRED = "registration_required"
GRANT = "grant"
STAFF = "staff"
PAST_DUE_GRACE = "past_due_grace"
PAUSED = "paused"

_SUBSCRIPTION_REASONS = {
    SubscriptionStatus.TRIALING: "trialing",
    SubscriptionStatus.ACTIVE: "active",
    SubscriptionStatus.PAST_DUE: PAST_DUE_GRACE,
}


@dataclass(frozen=True, slots=True)
class MeterState:
    limit: int
    used: int
    remaining: int
    resets_at: datetime


@dataclass(frozen=True, slots=True)
class Decision:
    access: str  # "unlimited" | "metered"
    reason: str
    until: datetime | None
    metered: MeterState | None
    # The articles already counted this month (a re-read of one is free).
    articles: tuple[str, ...] = ()
    # The reader's version (ReaderVersion): moves with every change of the decision.
    version: int = 0

    @property
    def unlimited(self) -> bool:
        return self.access == UNLIMITED


class ReaderNotFound(ApplicationError):
    status_code = 404
    code = "reader_not_found"

    def __init__(self) -> None:
        super().__init__("No reader has this id.")


def month_start(now: datetime) -> datetime:
    """The first instant of now's calendar month, in UTC."""
    now = now.astimezone(UTC)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def month_next(start: datetime) -> datetime:
    return (start + timedelta(days=32)).replace(day=1)


def free_articles_anonymous() -> int:
    value = settings.FREE_ARTICLES_ANONYMOUS
    return int(settings.FREE_ARTICLES_PER_MONTH if value is None else value)


def free_articles_registered() -> int:
    value = settings.FREE_ARTICLES_REGISTERED
    return int(settings.FREE_ARTICLES_PER_MONTH if value is None else value)


def _limits() -> tuple[int, int]:
    """The meter's configuration (anonymous, registered): a cached decision holds under it."""
    return free_articles_anonymous(), free_articles_registered()


def exhausted_reason(*, limit: int, used: int) -> str:
    """Why a reader with `used` of `limit` articles may not read another.

    "registration_required" when registering would give more (an anonymous reader
    under a larger registered allowance), else "limit_reached".
    """
    registered = free_articles_registered()
    return REGISTRATION_REQUIRED if limit < registered and used < registered else LIMIT_REACHED


def _registered(reader: Reader) -> bool:
    """Does this reader meter as registered? An account does; an anonymous reader does
    when it confirmed a newsletter address that is still on a list. The query is only
    made when the two allowances differ."""
    if reader.user_id is not None:
        return True
    anonymous, registered = _limits()
    if registered == anonymous or reader.is_new or reader.anonymous_id is None:
        return False
    return reader_is_registered_subscriber(anonymous_id=reader.anonymous_id)


def entitlement_decide(*, reader: Reader, now: datetime | None = None) -> Decision:
    """The reader's entitlement now: from the cache (no query) or from the database."""
    now = now or timezone.now()
    key = reader.key
    generation, cached = cache.read_pair(key)
    if (
        generation is not None
        and cached is not None
        and cached[0] == generation
        and now.timestamp() < cached[1]
        and len(cached) == _CACHED_LENGTH  # one cached before an upgrade is recomputed
        and cached[9] == _limits()
    ):
        return _from_cached(cached)
    if reader.is_new:
        # A reader id minted for this request has read nothing: no query, nothing to cache.
        return _metered(articles=(), now=now, registered=False)
    if generation is None and cached is not cache.FAILED:
        generation = cache.generation_ensure(key)
    decision, expires, version = _compute(reader=reader, now=now)
    version = reader_version(reader=reader) if version is None else version
    decision = replace(decision, version=version)
    if generation is not None:
        cache.store(
            cache.decision_key(key),
            _to_cached(decision, generation=generation, expires=expires),
            timeout=min((expires - now).total_seconds(), settings.ENTITLEMENTS_CACHE_SECONDS),
        )
    return decision


def reader_version(*, reader: Reader) -> int:
    """The reader's version from the database (0 before their first change)."""
    found = (
        ReaderVersion.objects.filter(reader_key=reader.key)
        .values_list("version", flat=True)
        .first()
    )
    return found or 0


def _compute(*, reader: Reader, now: datetime) -> tuple[Decision, datetime, int | None]:
    """The decision from the database, until when it holds unless something changes, and
    the reader's version when the meter in Redis holds it (else None: the database's)."""
    expires = month_next(month_start(now))
    if meter_store_active(reader):
        snapshot = meter_snapshot(reader=reader, month=month_start(now))
        if snapshot is not None:
            return _anonymous(reader, now, snapshot), expires, snapshot.version
    decision, expires = _compute_database(reader=reader, now=now, expires=expires)
    return decision, expires, None


def _anonymous(reader: Reader, now: datetime, snapshot: MeterSnapshot) -> Decision:
    return _metered(articles=snapshot.articles, now=now, registered=_registered(reader))


def _compute_database(
    *, reader: Reader, now: datetime, expires: datetime
) -> tuple[Decision, datetime]:
    if reader.user_id is not None:
        user = reader.user
        if user is None:
            user = User.objects.only("id", "is_staff").filter(pk=reader.user_id).first()
            if user is None:
                raise ReaderNotFound()
        subscription = subscription_get_current(user=user)
        paused_until: datetime | None = None
        paused = False
        if subscription is not None:
            until = subscription_access_until(subscription, now=now)
            if until is not None:
                reason = _SUBSCRIPTION_REASONS[SubscriptionStatus(subscription.status)]
                return Decision(UNLIMITED, reason, until, None), min(until, expires)
            paused = pause_is_running(subscription, now=now)
            paused_until = subscription.pause_resumes_at if paused else None
            if paused_until is not None:
                expires = min(expires, paused_until)  # access returns by itself then
        grants = list(
            Grant.objects.filter(
                reader_id=reader.user_id, revoked_at__isnull=True, ends_at__gt=now
            ).values_list("starts_at", "ends_at")
        )
        running = [ends for starts, ends in grants if starts <= now]
        upcoming = [starts for starts, _ in grants if starts > now]
        if upcoming:
            expires = min(expires, *upcoming)
        if running:
            until = max(running)
            return Decision(UNLIMITED, GRANT, until, None), min(until, expires)
        if user.is_staff:
            return Decision(UNLIMITED, STAFF, None, None), expires
        if paused:
            metered = _metered(articles=_articles(reader, now), now=now, registered=True)
            return Decision(
                METERED, PAUSED, paused_until, metered.metered, metered.articles
            ), expires
    registered = _registered(reader)
    return _metered(articles=_articles(reader, now), now=now, registered=registered), expires


def _articles(reader: Reader, now: datetime) -> tuple[str, ...]:
    """The articles counted on the reader's meter this month, oldest first."""
    return tuple(
        MeteredRead.objects.filter(
            meter__month=month_start(now).date(), **reader.meter_filter("meter__")
        )
        .order_by("read_at", "id")
        .values_list("article_id", flat=True)
    )


def _metered(*, articles: tuple[str, ...], now: datetime, registered: bool) -> Decision:
    limit = free_articles_registered() if registered else free_articles_anonymous()
    used = len(articles)
    remaining = max(limit - used, 0)
    return Decision(
        METERED,
        METERED if remaining else exhausted_reason(limit=limit, used=used),
        None,
        MeterState(limit, used, remaining, month_next(month_start(now))),
        articles,
    )


# The cached form: a flat tuple, quick to pickle and unpickle.
# (generation, expires_ts, limit, access, reason, until, used, resets_at, articles,
#  the (anonymous, registered) allowances it was computed under, version)
_CACHED_LENGTH = 11


def _to_cached(decision: Decision, *, generation: str, expires: datetime) -> tuple[Any, ...]:
    meter = decision.metered
    return (
        generation,
        expires.timestamp(),
        meter.limit if meter else None,
        decision.access,
        decision.reason,
        decision.until,
        meter.used if meter else None,
        meter.resets_at if meter else None,
        decision.articles,
        _limits(),
        decision.version,
    )


def _from_cached(cached: tuple[Any, ...]) -> Decision:
    _, _, limit, access, reason, until, used, resets_at, articles, _, version = cached
    if access == UNLIMITED:
        return Decision(access, reason, until, None, version=version)
    return Decision(
        access,
        reason,
        until,
        MeterState(limit, used, max(limit - used, 0), resets_at),
        articles,
        version,
    )
