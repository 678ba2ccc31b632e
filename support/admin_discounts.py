"""The reader page's discounts panel: the discount Stripe has on each of the reader's
subscriptions (billing's mirror, Subscription.discount) and the offers they redeemed
(offers.Redemption)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from accounts.models import User
from billing.models import Subscription
from billing.money import money_display
from offers.models import Redemption


def _amount(discount: dict[str, Any], *, country: str | None) -> str:
    percent = discount.get("percent_off")
    if percent is not None:
        return f"{float(percent):g}% off"  # Stripe's 50.0 reads 50
    if discount.get("amount_off") is not None:
        amount = money_display(
            int(discount["amount_off"]), str(discount.get("currency") or ""), country=country
        )
        return f"{amount} off"
    return "—"


def _ends(discount: dict[str, Any]) -> str:
    ends_at = discount.get("ends_at")
    if ends_at:
        return datetime.fromisoformat(ends_at).strftime("%Y-%m-%d %H:%M UTC")
    return "never" if discount.get("duration") == "forever" else "after the first invoice"


def discounts_panel(user: User) -> SafeString:
    subscriptions = [
        s
        for s in Subscription.objects.filter(user=user)
        .select_related("customer")
        .order_by("-created_at")
        if s.discount
    ]
    redemptions = list(
        Redemption.objects.filter(user=user, status=Redemption.Status.REDEEMED)
        .select_related("offer")
        .order_by("-redeemed_at")
    )
    if not subscriptions and not redemptions:
        return format_html("<p>{}</p>", "No discount, no offer redeemed.")
    current = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                s.stripe_subscription_id,
                s.discount.get("offer") or f"coupon {s.discount.get('coupon', '')}",
                _amount(s.discount, country=s.customer.country or None),
                _ends(s.discount),
            )
            for s in subscriptions
        ),
    )
    redeemed = format_html_join(
        "",
        "<li>{} on {} ({}{})</li>",
        (
            (
                r.offer.code,
                r.redeemed_at.strftime("%Y-%m-%d") if r.redeemed_at else "—",
                r.plan_code,
                ", with a trial" if r.with_trial else "",
            )
            for r in redemptions
        ),
    )
    return format_html(
        '<table class="reader-discounts"><thead><tr><th>Subscription</th><th>Offer</th>'
        "<th>Amount</th><th>Ends at</th></tr></thead><tbody>{}</tbody></table>"
        '<h3>Offers redeemed</h3><ul class="reader-redemptions">{}</ul>',
        current if subscriptions else format_html("<tr><td colspan=4>{}</td></tr>", "None now."),
        redeemed if redemptions else format_html("<li>{}</li>", "None."),
    )
