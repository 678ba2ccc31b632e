"""Sign-ups and their confirmation (double opt-in): nothing about an address is read or
written before its owner confirms."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User, normalize_email
from billing.selectors import subscription_access_until, subscription_get_current
from config.errors import ApplicationError
from newsletters import links
from newsletters.models import (
    Newsletter,
    ReaderLink,
    Subscriber,
    SubscriberChange,
    Subscription,
    Suppression,
)
from newsletters.selectors import email_hash, newsletters_open, suppressed_everywhere
from newsletters.services.readers import readers_changed
from newsletters.tasks import send_confirmation_email as send_confirmation_email_task

logger = logging.getLogger(__name__)

CONFIRM_SUBJECT = "Confirm your newsletter sign-up"


def newsletters_for_signup(*, slugs: Sequence[str], user: User | None = None) -> list[Newsletter]:
    """The newsletters named, each open to this sign-up; ApplicationError otherwise."""
    wanted = list(dict.fromkeys(slugs))
    if not wanted:
        raise ApplicationError(
            "Name at least one newsletter.",
            code="invalid_newsletters",
            fields={"newsletters": ["Name at least one newsletter."]},
        )
    found = {n.slug: n for n in newsletters_open().filter(slug__in=wanted)}
    unknown = [slug for slug in wanted if slug not in found]
    if unknown:
        raise ApplicationError(
            f"No such newsletter: {', '.join(unknown)}.",
            code="invalid_newsletters",
            fields={"newsletters": [f"No such newsletter: {slug}." for slug in unknown]},
        )
    closed = [n.slug for n in found.values() if n.audience == Newsletter.Audience.SUBSCRIBERS]
    if closed and not reader_has_access(user):
        raise ApplicationError(
            f"For paying subscribers only: {', '.join(closed)}.",
            code="subscribers_only",
            status_code=403,
            fields={"newsletters": [f"For paying subscribers only: {slug}." for slug in closed]},
        )
    return [found[slug] for slug in wanted]


def reader_has_access(user: User | None) -> bool:
    """Does this account's subscription give access now (the subscribers-only lists)?"""
    if user is None:
        return False
    subscription = subscription_get_current(user=user)
    return subscription is not None and subscription_access_until(subscription) is not None


def newsletter_signup(
    *,
    email: str,
    newsletters: Sequence[Newsletter],
    source: str = Subscription.Source.SIGNUP,
    source_page: str = "",
    ip_hash: str = "",
) -> None:
    """Ask the address's owner to confirm: a signed link by email (sent after commit).

    Nothing about the address is read or written here: the answer and the work
    are the same whether it is on a list, suppressed or unknown.
    """
    email = normalize_email(email)
    token = links.confirmation_token(
        links.SignUp(
            email=email,
            newsletters=tuple(n.slug for n in newsletters),
            source=str(source),
            source_page=source_page[:500],
            ip_hash=ip_hash,
            requested_at=timezone.now(),
        )
    )
    transaction.on_commit(lambda: send_confirmation_email_task.delay(email=email, token=token))


def confirmation_email_send(*, email: str, token: str) -> bool:
    """The confirmation email (the task's work): True if sent.

    Nothing is sent to an address that asked never to be emailed. The email names
    the lists only; their content starts once the owner confirms.
    """
    if suppressed_everywhere(email=email):
        logger.info("newsletter confirmation not sent: the address asked never to be emailed")
        return False
    slugs = links.confirmation_read_unchecked(token).newsletters
    names = list(Newsletter.objects.filter(slug__in=slugs).values_list("name", flat=True))
    context = {
        "newsletters": names,
        "confirm_url": links.confirmation_url(token),
        "hours": links.confirm_hours(),
    }
    headers = links.list_unsubscribe_headers(links.never_email_url(email_hash=email_hash(email)))
    message = EmailMultiAlternatives(
        subject=CONFIRM_SUBJECT,
        body=render_to_string("newsletters/email/confirm.txt", context),
        to=[email],
        headers=headers,
    )
    message.attach_alternative(
        render_to_string("newsletters/email/confirm.html", context), "text/html"
    )
    message.send()
    return True


def subscribe(
    *,
    subscriber: Subscriber,
    newsletters: Iterable[Newsletter],
    source: str,
    consented_at: datetime,
    source_page: str = "",
    ip_hash: str = "",
) -> list[Subscription]:
    """Put a (locked) subscriber on lists it is not on yet; lifts their suppression."""
    now = timezone.now()
    present = set(subscriber.subscriptions.values_list("newsletter_id", flat=True))
    added = [
        Subscription.objects.create(
            subscriber=subscriber,
            newsletter=newsletter,
            consented_at=consented_at,
            confirmed_at=now,
            source=source,
            source_page=source_page,
            ip_hash=ip_hash,
        )
        for newsletter in newsletters
        if newsletter.pk not in present
    ]
    if added:
        # A new confirmation lifts the suppression of these lists, and "never email me".
        Suppression.objects.filter(email_hash=subscriber.email_hash).filter(
            newsletter__in=[s.newsletter_id for s in added]
        ).delete()
        Suppression.objects.filter(email_hash=subscriber.email_hash, newsletter=None).delete()
        SubscriberChange.objects.bulk_create(
            [
                SubscriberChange(
                    newsletter_id=s.newsletter_id,
                    subscription_uid=s.uid,
                    action=SubscriberChange.Action.ADDED,
                    email=subscriber.email,
                    email_hash=subscriber.email_hash,
                    at=now,
                )
                for s in added
            ]
        )
        if not present:  # the address was on no list: its readers now count as registered
            readers_changed(subscriber.reader_links.values_list("anonymous_id", flat=True))
    return added


def subscriber_locked(*, email: str) -> Subscriber:
    email = normalize_email(email)
    subscriber, _ = Subscriber.objects.get_or_create(
        email=email, defaults={"email_hash": email_hash(email)}
    )
    return Subscriber.objects.select_for_update().get(pk=subscriber.pk)


def signup_confirm(*, token: str, anonymous_id: str | None = None) -> Subscriber:
    """The owner confirmed: the address goes on the lists it asked for (idempotent).

    `anonymous_id` is the anonymous reader that presented itself with the
    confirmation: while the address stays on a list, it meters as registered.
    """
    signup = links.confirmation_read(token)
    newsletters = list(newsletters_open().filter(slug__in=signup.newsletters))
    with transaction.atomic():
        subscriber = subscriber_locked(email=signup.email)
        subscribe(
            subscriber=subscriber,
            newsletters=newsletters,
            source=signup.source,
            consented_at=signup.requested_at,
            source_page=signup.source_page,
            ip_hash=signup.ip_hash,
        )
        if anonymous_id is not None:
            ReaderLink.objects.update_or_create(
                anonymous_id=anonymous_id, defaults={"subscriber": subscriber}
            )
            readers_changed([anonymous_id])
    return subscriber


def subscriber_link_user(*, user: User, email: str) -> Subscriber | None:
    """The account verified this address: what it confirmed before registering is theirs."""
    with transaction.atomic():
        subscriber = (
            Subscriber.objects.select_for_update().filter(email=normalize_email(email)).first()
        )
        if subscriber is None or subscriber.user_id == user.pk:
            return subscriber
        Subscriber.objects.filter(user=user).exclude(pk=subscriber.pk).update(user=None)
        subscriber.user = user
        subscriber.save(update_fields=["user"])
    return subscriber
