"""A signed-in reader's lists."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from newsletters.models import (
    Subscriber,
    Subscription,
)
from newsletters.selectors import subscriber_for_user
from newsletters.services import removal, signup


def _email_verified(user: User) -> bool:
    from allauth.account.models import EmailAddress

    verified: bool = EmailAddress.objects.filter(
        user=user, email__iexact=user.email, verified=True
    ).exists()
    return verified


def preferences_update(
    *, user: User, choices: dict[str, bool], source_page: str = "", ip_hash: str = ""
) -> list[str]:
    """A signed-in reader ticks and unticks lists. Returns the slugs awaiting confirmation.

    Ticking with a verified email confirms at once (the owner asks in person);
    with an unverified one, a confirmation email is sent as for a sign-up.
    Unticking is an unsubscribe (the list's suppression included).
    """
    wanted = [slug for slug, on in choices.items() if on]
    newsletters = signup.newsletters_for_signup(slugs=wanted, user=user) if wanted else []
    unwanted = [slug for slug, on in choices.items() if not on]
    pending: list[str] = []
    with transaction.atomic():
        if newsletters and _email_verified(user):
            mine = subscriber_for_user(user=user)
            if mine is None:
                subscriber = signup.subscriber_locked(email=user.email)
            else:
                subscriber = Subscriber.objects.select_for_update().get(pk=mine.pk)
            if subscriber.user_id is None:
                subscriber.user = user
                subscriber.save(update_fields=["user"])
            signup.subscribe(
                subscriber=subscriber,
                newsletters=newsletters,
                source=Subscription.Source.PREFERENCES,
                consented_at=timezone.now(),
                source_page=source_page,
                ip_hash=ip_hash,
            )
        elif newsletters:
            signup.newsletter_signup(
                email=user.email,
                newsletters=newsletters,
                source=Subscription.Source.PREFERENCES,
                source_page=source_page,
                ip_hash=ip_hash,
            )
            pending = [n.slug for n in newsletters]
        mine = subscriber_for_user(user=user)
        if unwanted and mine is not None:
            for subscription in mine.subscriptions.filter(newsletter__slug__in=unwanted):
                removal.unsubscribe(subscription=subscription)
    return pending
