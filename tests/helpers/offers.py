"""Offers made as operators make them: `manage.py create_offer`."""

from __future__ import annotations

import io

from django.core.management import call_command

from offers.models import Offer


def create_offer(*args: str) -> Offer:
    call_command("create_offer", *args, stdout=io.StringIO())
    code = args[args.index("--code") + 1]
    return Offer.objects.get(code__iexact=code)


def member_of(*groups: str):
    """A staff member in the named role groups (support/roles.py)."""
    from django.contrib.auth.models import Group

    from tests.factories import UserFactory

    user = UserFactory(is_staff=True)
    user.groups.set(Group.objects.filter(name__in=groups))
    return user


def offer_form(**fields: str) -> dict[str, str]:
    """The offer admin's add or change form, filled as staff fill it."""
    return {
        "code": "AUTUMN",
        "headline": "Autumn: 30% off",
        "terms": "",
        "percent_off": "30",
        "amount_off": "",
        "currency": "",
        "currency_options": "{}",
        "duration": "once",
        "duration_in_months": "",
        "trial_days": "",
        "starts_at_0": "",
        "starts_at_1": "",
        "ends_at_0": "",
        "ends_at_1": "",
        "max_redemptions": "",
        "lapsed_within_days": "",
        "active": "on",
        "redemptions-TOTAL_FORMS": "0",
        "redemptions-INITIAL_FORMS": "0",
        "redemptions-MIN_NUM_FORMS": "0",
        "redemptions-MAX_NUM_FORMS": "1000",
        **fields,
    }
