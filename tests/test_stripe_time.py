"""The test suite's own rule: Stripe's time is crossed by moments, never by a day count."""

import re
from datetime import UTC, datetime
from pathlib import Path

from tests.stripe_time import PINNED_STARTS, next_date

TESTS = Path(__file__).parent


def at(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def test_the_next_leap_day_is_found_from_any_year():
    assert next_date(at("2026-12-04T10:00:00"), 2, 29) == at("2028-02-29T12:00:00")
    assert next_date(at("2028-02-29T12:00:00"), 2, 29) == at("2032-02-29T12:00:00")


def test_a_pinned_date_is_strictly_after_now():
    assert next_date(at("2027-01-31T11:59:59"), 1, 31) == at("2027-01-31T12:00:00")
    assert next_date(at("2027-01-31T12:00:00"), 1, 31) == at("2028-01-31T12:00:00")


def test_the_pinned_dates_cover_month_ends_a_leap_day_and_a_year_end():
    days = set(PINNED_STARTS.values())
    assert {(1, 28), (1, 29), (1, 30), (1, 31), (2, 29), (12, 31)} <= days


# "advance(31 * DAY)" lands before or after a renewal depending on the month it
# runs in. Tests move Stripe's clock to a moment read from the object instead.
MONTH_BY_DAY_COUNT = re.compile(r"advance\(\s*(2[89]|3[01])\s*\*\s*DAY")


def test_no_test_crosses_a_month_of_stripe_time_by_a_day_count():
    offenders = [
        f"{path.relative_to(TESTS)}:{number}"
        for path in TESTS.rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if MONTH_BY_DAY_COUNT.search(line) and path.name != Path(__file__).name
    ]
    assert offenders == []
