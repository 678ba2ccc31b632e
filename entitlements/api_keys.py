"""Service API keys: created, revoked and checked (entitlements.services re-exports them).

`Authorization: Api-Key <key>` is how a server-side surface authenticates
(entitlements/authentication.py); only the key's digest is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from audit.services import Actor, audit_record
from entitlements import cache
from entitlements.models import ApiKey


@dataclass(frozen=True)
class CreatedApiKey:
    api_key: ApiKey
    key: str  # shown once: only its digest is stored


@dataclass(frozen=True, slots=True)
class ServiceKey:
    """The authenticated server-side caller (request.auth)."""

    id: int
    name: str


_REVOKED = "revoked"


def api_key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _api_key_cache_key(digest: str) -> str:
    return f"ent:k:{digest}"


def api_key_create(*, name: str, created_by: User | None = None) -> CreatedApiKey:
    prefix = secrets.token_hex(4)
    key = f"{prefix}.{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        api_key = ApiKey.objects.create(
            name=name, prefix=prefix, key_hash=api_key_digest(key), created_by=created_by
        )
        audit_record(
            action="entitlement.api_key_created",
            actor_type=Actor.STAFF if created_by else Actor.SYSTEM,
            actor_user=created_by,
            after={"id": api_key.pk, "name": name, "prefix": prefix},
        )
    return CreatedApiKey(api_key=api_key, key=key)


def api_key_revoke(*, api_key: ApiKey, revoked_by: User | None = None) -> ApiKey:
    with transaction.atomic():
        api_key = ApiKey.objects.select_for_update().get(pk=api_key.pk)
        if api_key.revoked_at is not None:
            return api_key
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        audit_record(
            action="entitlement.api_key_revoked",
            actor_type=Actor.STAFF if revoked_by else Actor.SYSTEM,
            actor_user=revoked_by,
            before={"id": api_key.pk, "name": api_key.name, "prefix": api_key.prefix},
        )
        # A tombstone, not a deletion: a request that read the key as valid just
        # before cannot cache it again (it only adds), and the tombstone sends
        # everyone to the database, which says "revoked" once this commits.
        cache_key = _api_key_cache_key(api_key.key_hash)
        timeout = settings.ENTITLEMENTS_API_KEY_TOUCH_SECONDS + 5
        cache.store(cache_key, _REVOKED, timeout=timeout)
        transaction.on_commit(lambda: cache.store(cache_key, _REVOKED, timeout=timeout))
    return api_key


def api_key_authenticate(*, key: str) -> ServiceKey | None:
    """The caller a key belongs to, or None for a wrong or revoked key; records its use.

    A known key is cached for ENTITLEMENTS_API_KEY_TOUCH_SECONDS (revoking it
    leaves a tombstone that sends everyone back to the database), and
    last_used_at is written at most that often.
    """
    digest = api_key_digest(key)
    cache_key = _api_key_cache_key(digest)
    cached = cache.fetch(cache_key)
    if cached is not None and cached != _REVOKED:
        return ServiceKey(*cached)
    found = (
        ApiKey.objects.filter(key_hash=digest, revoked_at__isnull=True)
        .values_list("id", "name")
        .first()
    )
    if found is None:
        return None
    now = timezone.now()
    touch = settings.ENTITLEMENTS_API_KEY_TOUCH_SECONDS
    ApiKey.objects.filter(pk=found[0]).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - timedelta(seconds=touch))
    ).update(last_used_at=now)
    cache.store_if_absent(cache_key, found, timeout=touch)
    return ServiceKey(*found)
