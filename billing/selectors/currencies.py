"""Which currency a reader sees and pays in.

The reader's country (an explicit `country` from the frontend, else the CDN's geo
header when GEO_COUNTRY_HEADER names one) picks a currency from the CLDR's table
(billing.money.currency_for_country); the default otherwise. Stripe gives a customer
one currency (its first subscription's): while the reader has a live subscription,
everything is in that currency, and an explicit country asking for another is a 409
`currency_locked`. Once nothing is live Stripe accepts another currency, so the old
one is only the reader's default then.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from accounts.models import User
from billing.models import Customer
from billing.money import country_parse, currency_for_country
from billing.selectors.subscriptions import subscription_get_live
from config.errors import ApplicationError, Conflict


def request_geo_country(*, request: HttpRequest) -> str | None:
    """The CDN's country for this request, only when GEO_COUNTRY_HEADER names the header
    (anyone can send one otherwise). A value that is not a country (Cloudflare's "T1"
    for Tor) counts as none: the reader did not send it."""
    header = str(settings.GEO_COUNTRY_HEADER or "")
    if not header:
        return None
    try:
        return country_parse(request.headers.get(header))
    except ApplicationError:
        return None


def reader_customer_currency(*, user: User | None) -> tuple[str, bool]:
    """The reader's Stripe customer currency ("" if none) and whether it is locked (a
    subscription is live)."""
    if user is None or not user.is_authenticated:
        return "", False
    customer = Customer.objects.filter(user=user).only("currency").first()
    currency = customer.currency if customer is not None else ""
    if not currency:
        return "", False
    return currency, subscription_get_live(user=user) is not None


def reader_currency(
    *, user: User | None, country: str | None, geo_country: str | None = None
) -> str:
    """The currency to show and charge: the locked one while a subscription is live (409
    `currency_locked` if `country` asks for another), else `country`'s, else the
    reader's customer currency, else the geo country's, else DEFAULT_CURRENCY."""
    customer_currency, locked = reader_customer_currency(user=user)
    if locked:
        wanted = currency_for_country(country) if country else customer_currency
        if wanted != customer_currency:
            raise Conflict(
                f"Your account pays in {customer_currency.upper()}: Stripe keeps one currency "
                f"per customer while a subscription is live, so prices in {wanted.upper()} "
                "cannot be used.",
                code="currency_locked",
            )
        return customer_currency
    if country:
        return currency_for_country(country)
    if customer_currency and customer_currency in settings.CURRENCIES:
        return customer_currency
    return currency_for_country(geo_country)
