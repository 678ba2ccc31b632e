"""Free newsletters (docs/api.md, "Newsletters"): what staff define, who is on which list,
the feed the email platform syncs from, and the hashed suppression list.

Only confirmed addresses are stored: a sign-up waiting for its confirmation lives in
the signed link it was sent, not here (newsletters/services.py).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class Newsletter(models.Model):
    class Frequency(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"
        OCCASIONAL = "occasional", "Occasional"

    class Audience(models.TextChoices):
        ALL = "all", "Open to all"
        SUBSCRIBERS = "subscribers", "Paying subscribers only"

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    frequency = models.CharField(max_length=16, choices=Frequency.choices)
    default_at_registration = models.BooleanField(
        default=False,
        help_text="Offered (visibly ticked by the frontend) at registration; "
        "a reader is only subscribed when they send it.",
    )
    audience = models.CharField(max_length=16, choices=Audience.choices, default=Audience.ALL)
    is_active = models.BooleanField(default=True, help_text="Off: hidden and closed to sign-ups.")
    position = models.PositiveIntegerField(default=0, help_text="Order in lists (lowest first).")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("position", "name")
        permissions = [("export_subscribers", "Can export a newsletter's confirmed subscribers")]

    def __str__(self) -> str:
        return self.name


class Subscriber(models.Model):
    """A confirmed address (one per mailbox), linked to an account once its email is verified."""

    email = models.EmailField(max_length=254, unique=True)
    # sha256 of the normalised address: how "never email me" links find it.
    email_hash = models.CharField(max_length=64, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="newsletter_subscriber",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        permissions = [("erase_subscriber", "Can erase an address from every list (audited)")]

    def __str__(self) -> str:
        return self.email


class Subscription(models.Model):
    """One confirmed address on one list, with the consent that put it there."""

    class Source(models.TextChoices):
        SIGNUP = "signup", "Sign-up form"
        REGISTRATION = "registration", "Registration"
        PREFERENCES = "preferences", "Account preferences"

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="subscriptions"
    )
    newsletter = models.ForeignKey(
        Newsletter, on_delete=models.CASCADE, related_name="subscriptions"
    )
    # The public id: in the one-click unsubscribe link and in the sync feed.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Consent: when it was asked for and confirmed, where, and from which IP (hashed).
    consented_at = models.DateTimeField()
    confirmed_at = models.DateTimeField()
    source = models.CharField(max_length=16, choices=Source.choices)
    source_page = models.CharField(max_length=500, blank=True)
    ip_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("subscriber", "newsletter"), name="newsletters_one_subscription_per_list"
            )
        ]
        permissions = [("unsubscribe_on_request", "Can unsubscribe an address on request")]

    def __str__(self) -> str:
        return f"{self.subscriber} on {self.newsletter}"


class ReaderLink(models.Model):
    """An anonymous reader (entitlements' reader id) that confirmed a sign-up: while the
    address is on a list, that reader meters as registered (docs/api.md)."""

    anonymous_id = models.UUIDField(unique=True)
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="reader_links"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"reader {self.anonymous_id}"


class Suppression(models.Model):
    """An address (its sha256 only) that unsubscribed: never re-added without a new
    confirmation. No newsletter: "never email me", from every list and every form."""

    email_hash = models.CharField(max_length=64)
    newsletter = models.ForeignKey(
        Newsletter, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("email_hash", "newsletter"), name="newsletters_suppressed_once_per_list"
            ),
            models.UniqueConstraint(
                fields=("email_hash",),
                condition=Q(newsletter__isnull=True),
                name="newsletters_suppressed_once_everywhere",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email_hash[:12]}… ({self.newsletter or 'every list'})"


class SubscriberChange(models.Model):
    """The sync feed: each addition to and removal from a list, in order (the id is the
    cursor). A removal, an unsubscribe or an erasure blanks the address in the
    subscription's earlier rows: only its hash stays."""

    class Action(models.TextChoices):
        ADDED = "added", "Added"
        REMOVED = "removed", "Removed"

    newsletter = models.ForeignKey(Newsletter, on_delete=models.CASCADE, related_name="+")
    subscription_uid = models.UUIDField()
    action = models.CharField(max_length=8, choices=Action.choices)
    email = models.EmailField(max_length=254, blank=True)
    email_hash = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=("newsletter", "id"), name="newsletters_feed"),
            # A removal or an erasure blanks the address in a subscription's rows.
            models.Index(fields=("subscription_uid",), name="newsletters_feed_subscription"),
        ]
        ordering = ("id",)

    def __str__(self) -> str:
        return f"{self.action} {self.subscription_uid}"
