"""Throttles for the sign-in surface: per client IP and per account (email) attempted.

Each view names its bucket with `throttle_scope` ("login", "registration",
"password_reset"); the rates are REST_FRAMEWORK's "<scope>_ip" and
"<scope>_account" (settings, overridable from the environment).

Counting is accounts.services.throttle_attempt_record: a window that begins
with the first attempt, counted with one atomic increment in the shared
cache (so every web process sees the same count), and in the database while
the cache is out, so sign-in keeps working and keeps its limits.
"""

from __future__ import annotations

import hashlib
from typing import Any, cast

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from accounts.models import normalize_email
from accounts.services import throttle_attempt_record


class _ScopedThrottle(SimpleRateThrottle):
    suffix = ""
    scope: str  # set for each view in allow_request

    def __init__(self) -> None:  # rate is resolved per view in allow_request
        self.retry_after: int | None = None

    def allow_request(self, request: Request, view: APIView) -> bool:
        # throttle_scope is DRF's convention for a view's scope, not an APIView attribute.
        self.scope = f"{view.throttle_scope}_{self.suffix}"  # type: ignore[attr-defined]
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        if self.num_requests is None or self.duration is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        decision = throttle_attempt_record(
            key=key, limit=self.num_requests, window_seconds=self.duration
        )
        self.retry_after = decision.retry_after
        return decision.allowed

    def wait(self) -> float | None:
        return self.retry_after

    def get_rate(self) -> str | None:
        # Read at call time, so settings changes (and tests) take effect at once.
        # The stubs type the rates as numbers; they are strings such as "5/minute".
        rates = cast("dict[str, str | None]", api_settings.DEFAULT_THROTTLE_RATES)
        return rates[self.scope]


class IPThrottle(_ScopedThrottle):
    suffix = "ip"

    def get_cache_key(self, request: Request, view: APIView) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class AccountThrottle(_ScopedThrottle):
    """Counts attempts against one email address, from wherever they come."""

    suffix = "account"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        email: Any = request.data.get("email") if hasattr(request.data, "get") else None
        if not isinstance(email, str) or not email.strip():
            return None  # nothing to count against; the IP throttle still applies
        # Hashed: no email address in cache keys, and no characters a cache refuses.
        ident = hashlib.sha256(normalize_email(email).encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


AUTH_THROTTLES = [IPThrottle, AccountThrottle]
