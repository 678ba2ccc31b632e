"""Calendar arithmetic for billing periods (timezone-aware, UTC)."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta


def add_interval(ts: int, interval: str, count: int = 1, anchor: int | None = None) -> int:
    """ts plus `count` intervals; month ends clamp to the anchor's day (Jan 31 -> Feb 28)."""
    start = datetime.fromtimestamp(ts, tz=UTC)
    if interval == "day":
        return int((start + timedelta(days=count)).timestamp())
    if interval == "week":
        return int((start + timedelta(weeks=count)).timestamp())
    months = count * (12 if interval == "year" else 1)
    day = datetime.fromtimestamp(anchor, tz=UTC).day if anchor is not None else start.day
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    day = min(day, calendar.monthrange(year, month)[1])
    return int(start.replace(year=year, month=month, day=day).timestamp())


def days(n: int) -> int:
    return n * 86400
