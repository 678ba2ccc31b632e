"""Crossing Stripe's time in tests, never by a fixed number of days.

A month is 28 to 31 days long, so "advance 31 days" lands before or after a
renewal depending on the day the suite runs. Tests move the emulator's clock
to a moment read from the object instead (a trial end, a period end, an
invoice's next attempt) plus the delay Stripe documents for what they wait
for. Tests whose calendar matters first move the emulator to a pinned start
date (`pin_start`): the next such date after the emulator's now, so they
never depend on today's date either.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

MINUTE = 60
HOUR = 3_600
DAY = 86_400

# A cycle invoice stays a draft about an hour after its period starts, then it
# is finalized and charged (Stripe's documented renewal behaviour).
RENEWAL_DELAY = HOUR
# Some slack after the moment itself, so what falls due has surely run.
SLACK = 5 * MINUTE

# Start dates where the calendar bites: month ends (a period starting on the
# 29th, 30th or 31st is shortened in shorter months), a leap day and a year end.
PINNED_STARTS = {
    "28th": (1, 28),
    "29th": (1, 29),
    "30th": (1, 30),
    "31st": (1, 31),
    "29-february": (2, 29),
    "31-december": (12, 31),
}


def unix(moment: Any) -> int:
    """Unix seconds from what the API, the SDK or a model gives: ISO text, datetime, int."""
    if isinstance(moment, int):
        return moment
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if isinstance(moment, datetime):
        return int(moment.timestamp())
    raise TypeError(f"not a moment: {moment!r}")


def period_end(subscription: Any) -> int:
    """The current period's end, from a REST body, an SDK object or a local row."""
    if isinstance(subscription, dict) and "current_period_end" in subscription:
        return unix(subscription["current_period_end"])
    if hasattr(subscription, "current_period_end"):
        return unix(subscription.current_period_end)
    return unix(subscription["items"]["data"][0]["current_period_end"])


def trial_end(subscription: Any) -> int:
    if isinstance(subscription, dict):
        return unix(subscription["trial_end"])
    return unix(subscription.trial_end)


def past_renewal(stripe: Any, subscription: Any) -> dict[str, Any]:
    """Move Stripe past the current period's end and the renewal charge after it."""
    return stripe.advance(to=period_end(subscription) + RENEWAL_DELAY + SLACK)


def past_trial_end(stripe: Any, subscription: Any) -> dict[str, Any]:
    """Move Stripe past the trial's end and the first charge an hour after it."""
    return stripe.advance(to=trial_end(subscription) + RENEWAL_DELAY + SLACK)


def next_date(after: int, month: int, day: int) -> int:
    """Noon UTC on the first `month`/`day` strictly after the unix time `after`."""
    year = datetime.fromtimestamp(after, UTC).year
    while True:
        try:
            candidate = datetime.combine(date(year, month, day), datetime.min.time(), UTC)
        except ValueError:  # 29 February outside a leap year
            year += 1
            continue
        moment = int(candidate.timestamp()) + 12 * HOUR
        if moment > after:
            return moment
        year += 1


def pin_start(stripe: Any, month: int, day: int) -> int:
    """Move the (freshly reset) emulator to the next `month`/`day`; returns that moment."""
    moment = next_date(stripe.clock(), month, day)
    stripe.advance(to=moment)
    return moment


def pinned_start_params() -> Any:
    return pytest.mark.parametrize(
        "start_date", list(PINNED_STARTS.values()), ids=list(PINNED_STARTS)
    )
