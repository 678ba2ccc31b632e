"""Configuration checks (Django's system checks framework, ids entitlements.E0xx)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

_METER_SETTINGS = (
    # (setting, may be unset: then FREE_ARTICLES_PER_MONTH)
    ("FREE_ARTICLES_PER_MONTH", False),
    ("FREE_ARTICLES_ANONYMOUS", True),
    ("FREE_ARTICLES_REGISTERED", True),
)


@register()
def free_articles_not_negative(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for name, optional in _METER_SETTINGS:
        free = getattr(settings, name, None)
        if (optional and free is None) or (isinstance(free, int) and free >= 0):
            continue
        errors.append(
            Error(
                f"{name} is {free!r}: a reader's free articles cannot be negative.",
                hint="Set it to 0 (a hard paywall) or more (default 3).",
                id="entitlements.E001",
            )
        )
    return errors


@register()
def signing_keys_usable(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The edge tokens' key set can be read and has exactly one current key."""
    from entitlements.signing_keys import KeySetError, key_set_configured

    try:
        key_set_configured().current  # noqa: B018 - raises when there is not exactly one
    except KeySetError as exc:
        return [
            Error(
                f"The edge token signing keys are unusable: {exc}.",
                hint="Make a key set with `manage.py entitlement_keys generate --file PATH` and "
                "set ENTITLEMENT_SIGNING_KEYS to that path (docs/operations.md, "
                '"Edge token keys").',
                id="entitlements.E002",
            )
        ]
    return []
