"""Entitlements state: free-article meters, complimentary grants and service API keys.

Entitlements themselves are derived, never stored (docs/architecture.md,
"Sources of truth"): a decision is computed from the subscription, the grants and the
meter, cached, and invalidated on every change. What is stored here is the
truth those decisions are computed from.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Meter(models.Model):
    """One reader's free-article meter for one calendar month (UTC).

    A reader is an account or an anonymous reader id. The row is the lock that
    serialises one reader's reads of different articles (select_for_update),
    so that concurrent reads never count past the limit. An anonymous reader
    with METER_STORE=redis is counted in Redis (entitlements/meter_store.py)
    and their rows are written by the drain (entitlements/meter_drain.py).

    `redis_stale`: a read was counted here while Redis was out, so the reader's
    hash in Redis (if it survived) lacks it; the drain deletes the hash, then
    clears the mark, only if `redis_marks` (one more at each fallback read)
    has not moved since it looked.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="entitlement_meters",
    )
    anonymous_id = models.UUIDField(null=True, blank=True)
    month = models.DateField(help_text="The first day of the month (UTC).")
    created_at = models.DateTimeField(auto_now_add=True)
    # Defaults in the database too: a process still on the code before the columns inserts.
    redis_stale = models.BooleanField(default=False, db_default=False)
    redis_marks = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, anonymous_id__isnull=True)
                | Q(user__isnull=True, anonymous_id__isnull=False),
                name="entitlements_meter_one_reader",
            ),
            models.UniqueConstraint(
                fields=["user", "month"],
                condition=Q(user__isnull=False),
                name="entitlements_meter_user_month",
            ),
            models.UniqueConstraint(
                fields=["anonymous_id", "month"],
                condition=Q(anonymous_id__isnull=False),
                name="entitlements_meter_anonymous_month",
            ),
        ]
        indexes = [
            # The purge's oldest-first walk (entitlements.services.meters_purge).
            models.Index(fields=["month"], name="entitlements_meter_month"),
            # The drain's walk over the meters stale in Redis (meter_drain.meter_stale_forget).
            models.Index(
                fields=["id"], condition=Q(redis_stale=True), name="entitlements_meter_stale"
            ),
        ]

    def __str__(self) -> str:
        who = f"user {self.user_id}" if self.user_id else f"anonymous {self.anonymous_id}"
        return f"{who} {self.month:%Y-%m}"


class MeteredRead(models.Model):
    """One counted article: one row per reader, month and article."""

    meter = models.ForeignKey(Meter, on_delete=models.CASCADE, related_name="reads")
    article_id = models.CharField(max_length=128)
    read_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["meter", "article_id"], name="entitlements_read_once_per_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} ({self.read_at:%Y-%m-%d})"


class Grant(models.Model):
    """Complimentary unlimited access for one reader, from starts_at to ends_at."""

    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="entitlement_grants"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.TextField()
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="entitlement_grants_given",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="entitlement_grants_revoked",
    )

    class Meta:
        ordering = ("-starts_at",)
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="entitlements_grant_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["reader", "ends_at"], name="entitlements_grant_reader")]

    def __str__(self) -> str:
        return f"grant to {self.reader_id} {self.starts_at:%Y-%m-%d}..{self.ends_at:%Y-%m-%d}"


class ApiKey(models.Model):
    """A server-side surface's key (`Authorization: Api-Key <key>`), stored hashed.

    The key is shown once, when created; only its SHA-256 digest is kept (the
    key is 256 random bits, so a fast digest is enough) and its first
    characters, to recognise it in the admin.
    """

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "API key"
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}...)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ReaderVersion(models.Model):
    """How many times a reader's decision has moved: the `ver` claim of their edge tokens.

    Bumped in the same places that invalidate the cached decision (a subscription
    change, a grant, the staff flag, a counted read, a meter merge or erasure),
    so an edge or an app that remembers the highest version it has seen can tell
    an older token from a fresher one. A reader is an account ("u<id>") or an
    anonymous reader id ("a<uuid hex>"); no row means version 0. An anonymous
    reader metered in Redis has their current version there; the drain writes
    the highest one here, never lowering it.
    """

    reader_key = models.CharField(max_length=40, unique=True)
    version = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField()

    class Meta:
        # The purge's oldest-first walk over anonymous readers gone quiet.
        indexes = [
            models.Index(
                fields=["changed_at"],
                condition=Q(reader_key__startswith="a"),
                name="entitlements_version_quiet",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reader_key} v{self.version}"
