"""Configuration checks (Django's system checks framework, ids billing.E0xx and W0xx).

Each names the setting, what would go wrong, and the fix (dj-stripe's checks.py
is the model). The start-up refusal of development defaults with DEBUG off stays
in config/settings.py: production must not even load on them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register


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


# --- Stripe keys and where they are sent ----------------------------------------

KEY_PREFIXES = ("sk_test_", "sk_live_", "rk_test_", "rk_live_")
LIVE_PREFIXES = ("sk_live_", "rk_live_")
STRIPE_API = "https://api.stripe.com"


@register()
def stripe_secret_key_shape(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    key = str(settings.STRIPE_SECRET_KEY or "")
    if key.startswith(KEY_PREFIXES):
        return []
    shown = f"{key[:3]}..." if key else "empty"
    return [
        Error(
            f"STRIPE_SECRET_KEY ({shown}) is not a Stripe secret or restricted key: every call "
            "to Stripe would be refused.",
            hint="Copy a secret key (sk_live_... or sk_test_...) or a restricted key (rk_...) "
            "from the Stripe Dashboard, Developers > API keys. A publishable key (pk_...) "
            "cannot call the API.",
            id="billing.E003",
        )
    ]


@register()
def stripe_webhook_secret_shape(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    secrets = [str(s) for s in settings.STRIPE_WEBHOOK_SECRETS]
    hint = (
        "Copy the signing secret (whsec_...) of the webhook endpoint from the Stripe Dashboard, "
        "Developers > Webhooks; during a secret roll, list both, comma-separated."
    )
    if not secrets:
        return [
            Error(
                "STRIPE_WEBHOOK_SECRET is empty: every webhook would be refused as unsigned.",
                hint=hint,
                id="billing.E004",
            )
        ]
    return [
        Error(
            f"STRIPE_WEBHOOK_SECRET has a value that is not a webhook signing secret "
            f"({secret[:3]}...): no webhook signed by Stripe would verify against it.",
            hint=hint,
            id="billing.E004",
        )
        for secret in secrets
        if not secret.startswith("whsec_")
    ]


@register()
def stripe_api_base_is_stripe(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """STRIPE_API_BASE is for the emulator: local runs, demos, tests."""
    base = str(settings.STRIPE_API_BASE or "").rstrip("/")
    if not base or base == STRIPE_API:
        return []
    if str(settings.STRIPE_SECRET_KEY).startswith(LIVE_PREFIXES):
        # A warning, not an error: an egress proxy in front of Stripe is a base URL too.
        return [
            Warning(
                f"A live Stripe key is sent to STRIPE_API_BASE ({base}), which is not Stripe.",
                hint="Unless that is a proxy of yours in front of Stripe, unset STRIPE_API_BASE "
                "(or use a test key with the emulator), then roll the live key in the Stripe "
                "Dashboard.",
                id="billing.W002",
            )
        ]
    if settings.DEBUG:
        return []
    return [
        Warning(
            f"STRIPE_API_BASE is {base}, not Stripe, with DEBUG off: subscriptions and payments "
            "go to that server (the Stripe emulator?), and no reader is really charged.",
            hint="Unset STRIPE_API_BASE in production; it points the service at the Stripe "
            "emulator for local runs, demos and tests.",
            id="billing.W001",
        )
    ]


# --- Trials, dunning and the plan catalogue ----------------------------------------


@register()
def trial_days_in_range(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from billing.services.plans import MAX_TRIAL_DAYS

    days = settings.TRIAL_DAYS
    if isinstance(days, int) and 1 <= days <= MAX_TRIAL_DAYS:
        return []
    return [
        Error(
            f"TRIAL_DAYS is {days!r}: a free trial lasts from 1 to {MAX_TRIAL_DAYS} days "
            "(Stripe's limit).",
            hint="Set TRIAL_DAYS to a whole number of days between 1 and 730 (default 30).",
            id="billing.E005",
        )
    ]


@register()
def past_due_grace_days_not_negative(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    grace = settings.PAST_DUE_GRACE_DAYS
    if grace is None or (isinstance(grace, int) and grace >= 0):
        return []
    return [
        Error(
            f"PAST_DUE_GRACE_DAYS is {grace!r}: a grace period cannot be negative.",
            hint="Unset it (access while Stripe retries the card) or set a number of days, "
            "0 or more, after a failed renewal.",
            id="billing.E006",
        )
    ]


@register()
def plan_catalogue_valid(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from billing.services.plans import plan_catalogue_problems

    return [
        Error(
            f"BILLING_PLANS: {problem}",
            hint="The catalogue comes from PLAN_CURRENCY, PLAN_MONTHLY_AMOUNT, "
            "PLAN_YEARLY_AMOUNT and TRIAL_DAYS (config/settings.py); `manage.py sync_plans` "
            "refuses it until this is corrected.",
            id="billing.E007",
        )
        for problem in plan_catalogue_problems(catalogue=settings.BILLING_PLANS)
    ]


@register(Tags.database)
def price_book_complete(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    """An active plan needs a price in every enabled currency (CURRENCIES) before it
    syncs; the catalogue's defaults (BILLING_PLANS) count where staff set nothing.
    Reads the database, so it runs with `check --database default` and `migrate`."""
    if not databases:
        return []
    from django.db import DatabaseError

    from billing.models import Plan
    from billing.services.price_book import price_book_missing, price_book_problem

    seeds = {entry.get("code"): entry.get("prices") or {} for entry in settings.BILLING_PLANS}
    try:
        gaps = [
            (plan.code, price_book_missing(plan=plan, seed=seeds.get(plan.code)))
            for plan in Plan.objects.filter(active=True)
        ]
    except DatabaseError:
        return []  # not migrated yet: nothing to check
    return [
        Error(
            price_book_problem(code=code, missing=missing),
            hint="Add the missing amounts to the plan's price book in admin (Billing > Plans), "
            "or to its entry in BILLING_PLANS, then run `manage.py sync_plans` (or the admin "
            "action 'Sync the price book to Stripe').",
            id="billing.E008",
        )
        for code, missing in gaps
        if missing
    ]
