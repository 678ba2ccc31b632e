"""manage.py create_offer: make an offer (and its Stripe coupon and promotion code)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from billing import gateway
from billing.models import Plan
from config.errors import ApplicationError
from offers.models import Duration, Offer
from offers.services import offer_save


def _moment(value: str, flag: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{flag}: not an ISO 8601 date or time: {value!r}") from exc
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


def _amounts_off(values: list[str], currency: str) -> dict[str, int]:
    """--amount-off values as {currency: minor units}: CUR:AMOUNT, or a bare AMOUNT in
    --currency."""
    amounts: dict[str, int] = {}
    for value in values:
        cur, _, raw = value.rpartition(":")
        cur = cur.strip().lower() or currency
        if not cur:
            raise CommandError(
                f"--amount-off needs --currency, or a currency with it: "
                f"--amount-off {settings.DEFAULT_CURRENCY}:{raw}."
            )
        try:
            amount = int(raw)
        except ValueError as exc:
            raise CommandError(f"--amount-off: not a whole number of minor units: {raw!r}") from exc
        if cur in amounts:
            raise CommandError(f"--amount-off: {cur} given twice.")
        amounts[cur] = amount
    return amounts


class Command(BaseCommand):
    help = (
        "Create an offer and sync it to Stripe (a coupon and a promotion code with the "
        "offer's code). Amounts are in the currency's minor unit (500 = 5.00)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--code", required=True, help="What readers type (letters, digits).")
        discount = parser.add_mutually_exclusive_group(required=True)
        discount.add_argument("--percent-off", help="Percentage off, 0.01 to 100.")
        discount.add_argument(
            "--amount-off", action="append",
            help="Minor units off in one currency, CUR:AMOUNT (eur:300); repeat it for every "
            "currency we sell in (CURRENCIES). A bare AMOUNT takes --currency.",
        )  # fmt: skip
        parser.add_argument("--currency", default="", help="With a bare --amount-off AMOUNT.")
        parser.add_argument(
            "--duration", choices=["once", "forever", "months"], default="once",
            help="The first invoice, every invoice, or --months invoices.",
        )  # fmt: skip
        parser.add_argument("--months", type=int, help="With --duration months.")
        parser.add_argument("--trial-days", type=int, help="A campaign trial length, 1 to 90.")
        parser.add_argument("--plans", default="", help="Plan codes, comma-separated: all if none.")
        parser.add_argument("--starts-at", default="", help="ISO 8601; default: now.")
        parser.add_argument("--ends-at", default="", help="ISO 8601; default: no end.")
        parser.add_argument("--max-redemptions", type=int, help="A cap on redemptions.")
        parser.add_argument("--first-time-only", action="store_true")
        parser.add_argument(
            "--lapsed-within-days", type=int,
            help="Win-back: only for readers whose subscription ended in the last N days.",
        )  # fmt: skip
        parser.add_argument("--headline", default="", help="For readers; default: the code.")
        parser.add_argument("--terms", default="", help="The small print, for readers.")

    def handle(self, *args: Any, **opts: Any) -> None:
        amounts = _amounts_off(opts["amount_off"] or [], opts["currency"].lower())
        if opts["percent_off"] is not None and opts["currency"]:
            raise CommandError("--currency goes with --amount-off, not --percent-off.")
        if (opts["duration"] == "months") != (opts["months"] is not None):
            raise CommandError("--duration months and --months N go together.")
        percent = None
        if opts["percent_off"] is not None:
            try:
                percent = Decimal(opts["percent_off"])
            except InvalidOperation as exc:
                raise CommandError(f"--percent-off: not a number: {opts['percent_off']!r}") from exc
        codes = [code.strip() for code in opts["plans"].split(",") if code.strip()]
        plans = list(Plan.objects.filter(code__in=codes))
        unknown = sorted(set(codes) - {plan.code for plan in plans})
        if unknown:
            raise CommandError(f"--plans: no such plan: {', '.join(unknown)}")
        # The offer's own currency is the default one when it has it; the others are
        # its currency_options (as Stripe's coupon keeps them).
        default = str(settings.DEFAULT_CURRENCY)
        currency = default if default in amounts else next(iter(amounts), "")
        offer = Offer(
            code=opts["code"],
            headline=opts["headline"] or opts["code"],
            terms=opts["terms"],
            percent_off=percent,
            amount_off=amounts.get(currency),
            currency=currency,
            currency_options={c: a for c, a in amounts.items() if c != currency},
            duration=Duration.REPEATING if opts["duration"] == "months" else opts["duration"],
            duration_in_months=opts["months"],
            trial_days=opts["trial_days"],
            starts_at=_moment(opts["starts_at"], "--starts-at") if opts["starts_at"] else None,
            ends_at=_moment(opts["ends_at"], "--ends-at") if opts["ends_at"] else None,
            max_redemptions=opts["max_redemptions"],
            first_time_only=opts["first_time_only"],
            lapsed_within_days=opts["lapsed_within_days"],
        )
        try:
            offer = offer_save(
                offer=offer, plans=plans, actor=None, reason="manage.py create_offer"
            )
        except ValidationError as exc:
            lines = [f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items()]
            raise CommandError("The offer is not valid:\n  " + "\n  ".join(lines)) from exc
        except (ApplicationError, gateway.GatewayError) as exc:
            raise CommandError(f"Stripe refused the offer: {exc.detail}") from exc
        self.stdout.write(
            f"offer {offer.code}: coupon {offer.stripe_coupon_id}, "
            f"promotion code {offer.stripe_promotion_code_id}"
        )
