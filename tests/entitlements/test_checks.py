"""Entitlements' configuration checks."""

import pytest
from django.core.checks import run_checks
from django.test import override_settings


@pytest.mark.parametrize(("free", "expected"), [(0, []), (3, []), (-1, ["entitlements.E001"])])
def test_free_articles_per_month_is_not_negative(free, expected):
    with override_settings(FREE_ARTICLES_PER_MONTH=free):
        found = [m for m in run_checks() if m.id.startswith("entitlements.")]

    assert [m.id for m in found] == expected
    assert all("FREE_ARTICLES_PER_MONTH" in m.msg and m.hint for m in found)
