"""Reads of newsletters: the public lists, a reader's preferences, the sync feed and the
export, and whether an anonymous reader counts as registered (entitlements asks)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils.crypto import salted_hmac

from accounts.models import User, normalize_email
from config.errors import ApplicationError
from newsletters.links import list_unsubscribe_headers, unsubscribe_url
from newsletters.models import (
    Newsletter,
    ReaderLink,
    Subscriber,
    SubscriberChange,
    Subscription,
    Suppression,
)

FEED_PAGE_MAX = 500


def email_hash(email: str) -> str:
    """The sha256 of the normalised address: what the suppression list and the feed keep."""
    return hashlib.sha256(normalize_email(email).encode()).hexdigest()


def ip_hash(ip: str | None) -> str:
    """A keyed hash of the sign-up's IP, for the consent record (never the IP itself)."""
    return salted_hmac("newsletters.ip", ip, algorithm="sha256").hexdigest() if ip else ""


def newsletters_open() -> QuerySet[Newsletter]:
    """The newsletters a reader may see and sign up to (active ones)."""
    return Newsletter.objects.filter(is_active=True)


def newsletters_with_counts() -> QuerySet[Newsletter]:
    """Every newsletter with its number of confirmed subscribers (one query, for admin)."""
    return Newsletter.objects.annotate(confirmed_count=Count("subscriptions"))


def suppressed_everywhere(*, email: str) -> bool:
    return Suppression.objects.filter(email_hash=email_hash(email), newsletter=None).exists()


def subscriber_for_user(*, user: User) -> Subscriber | None:
    """The address on lists that belongs to this account: linked, or the account's email."""
    return (
        Subscriber.objects.filter(Q(user=user) | Q(email=normalize_email(user.email)))
        .order_by(F("user_id").asc(nulls_last=True))  # the linked one first
        .first()
    )


@dataclass(frozen=True, slots=True)
class Preference:
    newsletter: Newsletter
    subscribed: bool


def preferences_for_user(*, user: User) -> list[Preference]:
    subscriber = subscriber_for_user(user=user)
    on: set[int] = set()
    if subscriber is not None:
        on = set(subscriber.subscriptions.values_list("newsletter_id", flat=True))
    return [Preference(n, n.pk in on) for n in newsletters_open()]


def reader_is_registered_subscriber(*, anonymous_id: str) -> bool:
    """Does this anonymous reader count as registered (a confirmed address still on a list)?"""
    return ReaderLink.objects.filter(
        anonymous_id=anonymous_id, subscriber__subscriptions__isnull=False
    ).exists()


def _feed_row(change: SubscriberChange) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": str(change.subscription_uid),
        "action": change.action,
        "email_sha256": change.email_hash,
        "at": change.at,
    }
    if change.action == SubscriberChange.Action.ADDED:
        url = unsubscribe_url(subscription_uid=str(change.subscription_uid))
        headers = list_unsubscribe_headers(url)
        row.update(
            email=change.email or None,  # blank: removed since, or erased
            unsubscribe_url=url,
            list_unsubscribe=headers["List-Unsubscribe"],
            list_unsubscribe_post=headers["List-Unsubscribe-Post"],
        )
    return row


@dataclass(frozen=True, slots=True)
class FeedPage:
    results: list[dict[str, Any]]
    cursor: int  # where the next sync starts (the last change seen)
    more: bool


def subscriber_feed(*, newsletter: Newsletter, since: int, limit: int) -> FeedPage:
    """Additions and removals after `since`, oldest first, at most `limit`."""
    limit = max(1, min(limit, FEED_PAGE_MAX))
    changes = list(
        SubscriberChange.objects.filter(newsletter=newsletter, id__gt=since).order_by("id")[
            : limit + 1
        ]
    )
    page = changes[:limit]
    return FeedPage(
        results=[_feed_row(c) for c in page],
        cursor=page[-1].id if page else since,
        more=len(changes) > limit,
    )


def confirmed_subscribers(*, newsletter: Newsletter) -> Iterator[dict[str, Any]]:
    """The export: every confirmed address on the list, with its consent and its links."""
    subscriptions = (
        Subscription.objects.filter(newsletter=newsletter)
        .select_related("subscriber")
        .order_by("confirmed_at", "id")
    )
    for subscription in subscriptions.iterator(chunk_size=1000):
        url = unsubscribe_url(subscription_uid=str(subscription.uid))
        headers = list_unsubscribe_headers(url)
        yield {
            "email": subscription.subscriber.email,
            "id": str(subscription.uid),
            "confirmed_at": subscription.confirmed_at.isoformat(),
            "source": subscription.source,
            "list_unsubscribe": headers["List-Unsubscribe"],
            "list_unsubscribe_post": headers["List-Unsubscribe-Post"],
        }


def feed_cursor_parse(value: str | None) -> int:
    """A cursor from the feed (a change id); none: from the beginning."""
    if value is None or value == "":
        return 0
    if not value.isdigit() or len(value) > 18:
        raise ApplicationError("since must be a cursor from this feed.", code="invalid_cursor")
    return int(value)
