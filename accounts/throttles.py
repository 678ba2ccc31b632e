"""Throttles for the sign-in surface: per client IP and per account (email) attempted.

Each view names its bucket with `throttle_scope` ("login", "registration",
"password_reset"); the rates are REST_FRAMEWORK's "<scope>_ip" and
"<scope>_account" (settings, overridable from the environment).
"""

from __future__ import annotations

import hashlib
from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from accounts.models import normalize_email


class _ScopedThrottle(SimpleRateThrottle):
    suffix = ""

    def allow_request(self, request: Request, view: APIView) -> bool:
        self.scope = f"{view.throttle_scope}_{self.suffix}"  # type: ignore[attr-defined]
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def __init__(self) -> None:  # rate is resolved per view in allow_request
        pass

    def get_rate(self) -> str | None:
        # Read at call time, so settings changes (and tests) take effect at once.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]


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
