"""Configuration checks (Django's system checks framework, ids entitlements.E0xx)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register


@register()
def free_articles_not_negative(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    free = settings.FREE_ARTICLES_PER_MONTH
    if isinstance(free, int) and free >= 0:
        return []
    return [
        Error(
            f"FREE_ARTICLES_PER_MONTH is {free!r}: a reader's free articles cannot be negative.",
            hint="Set it to 0 (a hard paywall) or more (default 3).",
            id="entitlements.E001",
        )
    ]
