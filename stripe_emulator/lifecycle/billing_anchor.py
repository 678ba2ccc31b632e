"""A new subscription's billing cycle anchor (`billing_cycle_anchor` or
`billing_cycle_anchor_config` on create) [ANCHOR], [TOFFER].

The anchor is a future moment within one period; the first full period starts there and
renewals follow it (month ends as renewal.py does: Jan 31 -> Feb 28 -> Mar 31). Until the
anchor, `proration_behavior` decides: create_prorations (the default; always_invoice
alike) charges the time to the anchor as a prorated first invoice, none makes it free.
With a trial, the anchor is at or after the trial's end and within one period of it: a
free trial, then at its end a prorated invoice up to the anchor, then full periods.
`billing_cycle_anchor_config` (day_of_month, hour, minute, second, month; monthly and
yearly prices only; not with a trial or billing_cycle_anchor) sets the anchor to the
next such moment (UTC) and is shown on the subscription.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from typing import Any

from stripe_emulator.errors import invalid
from stripe_emulator.params import SCALAR, get_enum, get_int
from stripe_emulator.resources.base import Context
from stripe_emulator.resources.currencies import unit_amount_in
from stripe_emulator.resources.invoice_items import TIMES, line_item
from stripe_emulator.resources.periods import add_interval
from stripe_emulator.resources.prices import price_interval, price_of, product_name
from stripe_emulator.resources.subscription_items import set_period

CONFIG = ("day_of_month", "hour", "minute", "month", "second")
BOUNDS = {"day_of_month": (1, 31), "hour": (0, 23), "minute": (0, 59), "month": (1, 12)}
BOUNDS["second"] = (0, 59)
SCHEMA = {  # on subscription create
    "billing_cycle_anchor": SCALAR,
    "billing_cycle_anchor_config": dict.fromkeys(CONFIG, SCALAR),
}
PRORATION = ("create_prorations", "none", "always_invoice")


def parse(
    params: dict[str, Any], now: int, price: dict[str, Any], trial_end: int | None
) -> dict[str, Any] | None:
    """A create's anchor, validated: None (the default: now, or the trial's end) or
    {at, proration, config}."""
    proration = get_enum(params, "proration_behavior", PRORATION) or "create_prorations"
    given = params.get("billing_cycle_anchor") not in (None, "")
    config = params.get("billing_cycle_anchor_config")
    if given and config:
        raise invalid(
            "You may only specify one of these parameters: billing_cycle_anchor, "
            "billing_cycle_anchor_config.",
            param="billing_cycle_anchor_config",
            code="parameters_exclusive",
        )
    interval, count = price_interval(price)
    if config:
        if trial_end:
            raise invalid(
                "billing_cycle_anchor_config cannot be combined with a trial "
                "(trial_end, trial_period_days).",
                param="billing_cycle_anchor_config",
            )
        if interval not in ("month", "year"):
            raise invalid(
                "billing_cycle_anchor_config is only valid with monthly and yearly prices.",
                param="billing_cycle_anchor_config",
            )
        values = _config(config)
        at = next_occurrence(now, values)
    elif given:
        values = None
        at = get_int(params, "billing_cycle_anchor")
        if at <= now:
            raise invalid(
                "Invalid timestamp: must be an integer Unix timestamp in the future.",
                param="billing_cycle_anchor",
            )
    else:
        return None
    start = trial_end or now
    if at < start:
        raise invalid(
            f"billing_cycle_anchor cannot be earlier than the trial end ({trial_end}).",
            param="billing_cycle_anchor",
        )
    natural = add_interval(start, interval, count, anchor=start)
    if at > natural:
        raise invalid(
            f"billing_cycle_anchor cannot be later than next natural billing date ({natural}) "
            "for plan",
            param="billing_cycle_anchor",
        )
    return {"at": at, "proration": proration, "config": values}


def _config(config: dict[str, Any]) -> dict[str, int | None]:
    name = "billing_cycle_anchor_config"
    values: dict[str, int | None] = {}
    for key in CONFIG:
        low, high = BOUNDS[key]
        values[key] = get_int(
            config, key, name=f"{name}[{key}]", minimum=low, maximum=high,
            required=key == "day_of_month",
        )  # fmt: skip
    return values


def next_occurrence(now: int, config: dict[str, int | None]) -> int:
    """The first moment after `now` on day_of_month (the month's last day when shorter)
    at hour:minute:second UTC, in `month` when given."""
    today = datetime.fromtimestamp(now, tz=UTC)
    year, month = today.year, config["month"] or today.month
    while True:
        day = min(config["day_of_month"], calendar.monthrange(year, month)[1])
        moment = datetime(
            year, month, day, config["hour"] or 0, config["minute"] or 0, config["second"] or 0,
            tzinfo=UTC,
        )  # fmt: skip
        if int(moment.timestamp()) > now:
            return int(moment.timestamp())
        if config["month"]:
            year += 1
        else:
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def set_anchor(sub: dict[str, Any], anchor: dict[str, Any] | None, now: int) -> None:
    """Apply a create's anchor to the new subscription (before its first invoice)."""
    if anchor is None:
        return
    sub["billing_cycle_anchor"] = anchor["at"]
    sub["billing_cycle_anchor_config"] = anchor["config"]
    sub["_anchor_proration"] = anchor["proration"]
    if not sub["trial_end"]:
        set_period(sub, now, anchor["at"])
        if sub["cancel_at_period_end"]:
            sub["cancel_at"] = anchor["at"]


def anchored(sub: dict[str, Any], now: int) -> bool:
    """True while a create's anchor is still ahead (the time until it is prorated)."""
    return bool(sub.get("_anchor_proration")) and sub["billing_cycle_anchor"] > now


def prorated_lines(
    ctx: Context, sub: dict[str, Any], invoice_id: str, start: int, anchor: int
) -> list[dict[str, Any]]:
    """The lines for [start, anchor]: a share of the period that ends at the anchor
    (create_prorations), or nothing to pay (none)."""
    charge = sub["_anchor_proration"] != "none"
    lines = []
    for item in sub["items"]["data"]:
        price = price_of(ctx.state, item)
        qty = item["quantity"] or 0
        interval, count = price_interval(price)
        full_start = add_interval(anchor, interval, -count, anchor=anchor)
        share = (anchor - start) / (anchor - full_start)
        lines.append(
            line_item(
                invoice_id=invoice_id,
                sub=sub,
                item_id=item["id"],
                price=price,
                quantity=qty,
                amount=round(unit_amount_in(price, sub["currency"]) * qty * share) if charge else 0,
                description=f"Remaining time on {qty} {TIMES} {product_name(ctx.state, price)}",
                start=start,
                end=anchor,
                proration=True,
            )
        )
    return lines
