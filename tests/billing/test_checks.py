"""Billing's configuration checks: each names the setting and carries a hint."""

from __future__ import annotations

import re

import pytest
from django.core.checks import run_checks
from django.test import override_settings


def messages(prefix: str = "billing.") -> list:
    return [m for m in run_checks() if m.id.startswith(prefix)]


def ids(prefix: str = "billing.") -> list[str]:
    return [m.id for m in messages(prefix)]


def test_the_test_settings_pass_every_check():
    assert messages("") == []


@pytest.mark.parametrize(
    "key", ["sk_test_4eC39Hq", "sk_live_51Hx", "rk_test_51Hx", "rk_live_51Hx", "sk_test_local"]
)
def test_secret_and_restricted_keys_are_accepted(key):
    with override_settings(STRIPE_SECRET_KEY=key):
        assert ids() == []


@pytest.mark.parametrize("key", ["pk_test_51Hx", "pk_live_51Hx", "whsec_abc", "sk_51Hx", ""])
def test_a_key_that_is_no_secret_key_is_an_error_that_does_not_print_it(key):
    with override_settings(STRIPE_SECRET_KEY=key):
        found = messages()

    assert [m.id for m in found] == ["billing.E003"]
    assert "STRIPE_SECRET_KEY" in found[0].msg
    assert "pk_" in found[0].hint
    if len(key) > 3:
        assert key[3:] not in found[0].msg


@pytest.mark.parametrize(
    ("secrets", "expected"),
    [
        (["whsec_abc"], []),
        (["whsec_old", "whsec_new"], []),
        (["whsec_old", "sk_test_x"], ["billing.E004"]),
        (["abc", "def"], ["billing.E004", "billing.E004"]),
        ([], ["billing.E004"]),
    ],
)
def test_every_webhook_secret_must_be_a_signing_secret(secrets, expected):
    with override_settings(STRIPE_WEBHOOK_SECRETS=secrets):
        found = messages()

    assert [m.id for m in found] == expected
    assert all("STRIPE_WEBHOOK_SECRET" in m.msg and "whsec_" in m.hint for m in found)


@pytest.mark.parametrize(
    ("base", "debug", "expected"),
    [
        ("", False, []),
        ("https://api.stripe.com", False, []),
        ("https://api.stripe.com/", False, []),
        ("http://127.0.0.1:12111", True, []),
        ("http://127.0.0.1:12111", False, ["billing.W001"]),
        ("http://stripe-emulator:12111", False, ["billing.W001"]),
    ],
)
def test_an_api_base_that_is_not_stripe_is_a_warning_in_production(base, debug, expected):
    with override_settings(STRIPE_API_BASE=base, DEBUG=debug):
        found = messages()

    assert [m.id for m in found] == expected
    if expected:
        assert base in found[0].msg
        assert "STRIPE_API_BASE" in found[0].hint


@pytest.mark.parametrize("debug", [True, False])
def test_a_live_key_sent_anywhere_but_stripe_is_a_warning_even_in_debug(debug):
    with override_settings(
        STRIPE_API_BASE="http://stripe-emulator:12111",
        STRIPE_SECRET_KEY="sk_live_51Hx",
        DEBUG=debug,
    ):
        assert ids() == ["billing.W002"]
    with override_settings(STRIPE_API_BASE="", STRIPE_SECRET_KEY="sk_live_51Hx", DEBUG=debug):
        assert ids() == []


@pytest.mark.parametrize(
    ("days", "expected"),
    [(1, []), (30, []), (730, []), (0, ["billing.E005"]), (-3, ["billing.E005"])],
)
def test_the_trial_lasts_one_to_730_days(days, expected):
    with override_settings(TRIAL_DAYS=days):
        found = [m for m in messages() if m.id == "billing.E005"]

    assert [m.id for m in found] == expected
    assert all("TRIAL_DAYS" in m.msg and m.hint for m in found)


@pytest.mark.parametrize(
    ("grace", "expected"), [(None, []), (0, []), (7, []), (-1, ["billing.E006"])]
)
def test_the_past_due_grace_is_unset_or_not_negative(grace, expected):
    with override_settings(PAST_DUE_GRACE_DAYS=grace):
        found = messages()

    assert [m.id for m in found] == expected
    assert all("PAST_DUE_GRACE_DAYS" in m.msg and m.hint for m in found)


PLAN = {
    "code": "monthly",
    "name": "Monthly",
    "amount": 999,
    "currency": "usd",
    "interval": "month",
    "trial_days": 30,
}


@pytest.mark.parametrize(
    ("plans", "problem"),
    [
        ([{**PLAN, "interval": "fortnight"}], "interval must be month or year"),
        ([{**PLAN, "amount": 0}], "amount must be positive"),
        ([{**PLAN, "amount": "lots"}], "amount must be positive"),
        ([{**PLAN, "currency": "dollars"}], "three-letter ISO code"),
        ([{**PLAN, "trial_days": 731}], "trial_days must be between 0 and 730"),
        ([{k: v for k, v in PLAN.items() if k != "name"}], "lacks ['name']"),
        ([PLAN, {**PLAN, "name": "Again"}], "codes in the catalogue must be unique"),
    ],
)
def test_a_plan_catalogue_sync_plans_would_refuse_is_an_error(plans, problem):
    from billing.services import plan_sync_catalogue
    from config.errors import ApplicationError

    with override_settings(BILLING_PLANS=plans):
        found = messages()

    assert [m.id for m in found] == ["billing.E007"]
    assert problem in found[0].msg
    assert "sync_plans" in found[0].hint
    with pytest.raises(ApplicationError, match=re.escape(problem)):
        plan_sync_catalogue(catalogue=plans)  # the same rule refuses it before Stripe


def test_the_default_catalogue_is_valid():
    with override_settings(BILLING_PLANS=[PLAN, {**PLAN, "code": "yearly", "interval": "year"}]):
        assert ids() == []


@pytest.mark.django_db
def test_an_active_plan_missing_an_enabled_currency_is_named(plans, settings):
    from billing.models import PlanPrice

    assert [m.id for m in run_checks(databases=["default"]) if m.id == "billing.E008"] == []
    PlanPrice.objects.filter(plan__code="yearly", currency="gbp").delete()
    settings.BILLING_PLANS = [
        {**entry, "prices": {"usd": 1, "eur": 1}} for entry in settings.BILLING_PLANS
    ]

    found = [m for m in run_checks(databases=["default"]) if m.id == "billing.E008"]

    assert [m.msg for m in found] == [
        (
            "Plan yearly has no price in GBP: an active plan needs one in every enabled "
            "currency (CURRENCIES) before it syncs; set it in the plan's price book in admin."
        )
    ]
    assert "sync_plans" in found[0].hint
