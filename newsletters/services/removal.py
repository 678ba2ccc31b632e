"""Leaving lists: one-click unsubscribes, the suppression list, staff on request, erasure."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User, normalize_email
from audit.services import Actor, audit_reason_checked, audit_record
from newsletters import links
from newsletters.models import (
    Newsletter,
    Subscriber,
    SubscriberChange,
    Subscription,
    Suppression,
)
from newsletters.selectors import subscriber_for_user
from newsletters.services.readers import readers_changed
from newsletters.services.signup import reader_has_access


def _removed(subscriptions: Sequence[Subscription], *, subscriber: Subscriber) -> None:
    """Record the removals in the feed and blank the address in its earlier rows."""
    now = timezone.now()
    uids = [s.uid for s in subscriptions]
    SubscriberChange.objects.filter(subscription_uid__in=uids).update(email="")
    SubscriberChange.objects.bulk_create(
        [
            SubscriberChange(
                newsletter_id=s.newsletter_id,
                subscription_uid=s.uid,
                action=SubscriberChange.Action.REMOVED,
                email_hash=subscriber.email_hash,
                at=now,
            )
            for s in subscriptions
        ]
    )


def _forget_if_unused(subscriber: Subscriber) -> None:
    """An address on no list and of no account is not kept."""
    if subscriber.subscriptions.exists():
        return
    readers_changed(subscriber.reader_links.values_list("anonymous_id", flat=True))
    if subscriber.user_id is None:
        subscriber.delete()


def unsubscribe(*, subscription: Subscription) -> None:
    subscriber = subscription.subscriber
    Suppression.objects.get_or_create(
        email_hash=subscriber.email_hash, newsletter_id=subscription.newsletter_id
    )
    _removed([subscription], subscriber=subscriber)
    subscription.delete()
    _forget_if_unused(subscriber)


def subscriber_access_changed(user: User | None) -> None:
    """billing.services.subscription_changed_hooks calls this after a subscription change:
    a reader whose subscription no longer gives access leaves the subscribers-only lists
    (not suppressed: they may tick them again once they subscribe)."""
    if user is None:
        return
    with transaction.atomic():
        subscriber = subscriber_for_user(user=user)
        if subscriber is None or reader_has_access(user):
            return
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        closed = list(
            subscriber.subscriptions.filter(newsletter__audience=Newsletter.Audience.SUBSCRIBERS)
        )
        if closed:
            _removed(closed, subscriber=subscriber)
            Subscription.objects.filter(pk__in=[s.pk for s in closed]).delete()
            _forget_if_unused(subscriber)


def subscription_unsubscribe(*, subscription: Subscription) -> None:
    with transaction.atomic():
        locked = Subscription.objects.select_for_update().filter(pk=subscription.pk).first()
        if locked is not None:
            unsubscribe(subscription=locked)


def unsubscribe_by_link(*, token: str) -> None:
    """The one-click POST (RFC 8058): one subscription, or every list ("never email me").

    Idempotent: an address already gone is answered the same.
    """
    kind, value = links.unsubscribe_read(token)
    with transaction.atomic():
        if kind == "s":
            subscription = (
                Subscription.objects.select_for_update()
                .select_related("subscriber")
                .filter(uid=value)
                .first()
            )
            if subscription is not None:
                unsubscribe(subscription=subscription)
            return
        Suppression.objects.get_or_create(email_hash=value, newsletter=None)
        subscriber = Subscriber.objects.select_for_update().filter(email_hash=value).first()
        if subscriber is not None:
            for subscription in subscriber.subscriptions.all():
                unsubscribe(subscription=subscription)


def subscription_unsubscribe_on_request(
    *, subscription: Subscription, staff: User, reason: str
) -> None:
    """Staff unsubscribe an address on its owner's request (admin), audited."""
    reason = audit_reason_checked(reason=reason)
    with transaction.atomic():
        locked = (
            Subscription.objects.select_for_update()
            .select_related("subscriber", "newsletter")
            .filter(pk=subscription.pk)
            .first()
        )
        if locked is None:
            return
        before = {
            "newsletter": locked.newsletter.slug,
            "subscription": str(locked.uid),
            "email_sha256": locked.subscriber.email_hash,
        }
        reader = locked.subscriber.user
        unsubscribe(subscription=locked)
        audit_record(
            action="newsletters.unsubscribed",
            actor_type=Actor.STAFF,
            actor_user=staff,
            reader=reader,
            reason=reason,
            before=before,
        )


def subscriber_erase(*, subscriber: Subscriber) -> int:
    """Erasure: the address leaves every list and is forgotten (only hashes stay in the
    feed, so the email platform removes it too). Returns how many lists it left."""
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        subscriptions = list(subscriber.subscriptions.all())
        _removed(subscriptions, subscriber=subscriber)
        readers_changed(subscriber.reader_links.values_list("anonymous_id", flat=True))
        subscriber.delete()  # its subscriptions and reader links with it
    return len(subscriptions)


def subscriber_erase_on_request(*, subscriber: Subscriber, staff: User) -> int:
    """An erasure request handled by staff (admin), audited without the address."""
    with transaction.atomic():
        before = {"email_sha256": subscriber.email_hash}
        reader = subscriber.user
        count = subscriber_erase(subscriber=subscriber)
        audit_record(
            action="newsletters.erased",
            actor_type=Actor.STAFF,
            actor_user=staff,
            reader=reader,
            reason="erasure request",
            before=before,
        )
    return count


def subscriber_erase_for_user(*, user: User) -> int:
    """A reader leaves (support's account deletion): their address leaves every list."""
    subscribers = Subscriber.objects.filter(Q(user=user) | Q(email=normalize_email(user.email)))
    return sum(subscriber_erase(subscriber=s) for s in subscribers)
