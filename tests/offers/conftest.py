"""Offers are made as operators make them: `manage.py create_offer`."""

import pytest

from tests.helpers.offers import create_offer


@pytest.fixture
def half_price_3_months(plans):
    """50% off for three months, on the monthly plan."""
    return create_offer(
        "--code", "HALF3", "--percent-off", "50", "--duration", "months", "--months", "3",
        "--plans", "monthly", "--headline", "Half price for 3 months",
    )  # fmt: skip


@pytest.fixture
def campaign_trial(plans):
    """A 14-day campaign trial, with 20% off the first invoice."""
    return create_offer(
        "--code", "TRY14", "--percent-off", "20", "--trial-days", "14",
        "--headline", "Two weeks free",
    )  # fmt: skip
