"""Configuration checks (Django's system checks framework, ids billing.E0xx)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register


@register()
def stripe_budget_below_web_timeout(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """A request's Stripe time budget must end before the web server kills the request."""
    budget = float(settings.STRIPE_REQUEST_BUDGET_SECONDS)
    web_timeout = float(settings.WEB_TIMEOUT_SECONDS)
    if budget <= 0:
        return [
            Error(
                f"STRIPE_REQUEST_BUDGET_SECONDS is {budget:g}: no request could reach Stripe.",
                hint="Set it to a positive number of seconds below WEB_TIMEOUT_SECONDS.",
                id="billing.E002",
            )
        ]
    if budget >= web_timeout:
        return [
            Error(
                f"STRIPE_REQUEST_BUDGET_SECONDS ({budget:g}) is not below WEB_TIMEOUT_SECONDS "
                f"({web_timeout:g}): a hung Stripe would outlast the web server's timeout, and "
                "the reader would get the server's error page instead of a 503.",
                hint="Lower STRIPE_REQUEST_BUDGET_SECONDS, leaving a few seconds for the rest of "
                "the request, or raise WEB_TIMEOUT_SECONDS (gunicorn's --timeout, set from it "
                "in config/gunicorn.py).",
                id="billing.E001",
            )
        ]
    return []
