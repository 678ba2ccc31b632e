"""Countries, currencies and amounts as a reader reads them (billing/money.py)."""

from __future__ import annotations

import pytest

from billing.money import (
    country_parse,
    country_prices_include_tax,
    currency_for_country,
    currency_tax_behavior,
    locale_for_country,
    money_display,
)
from config.errors import ApplicationError


@pytest.mark.parametrize(
    ("raw", "parsed"), [("DE", "DE"), ("de", "DE"), (" gb ", "GB"), ("XX", "XX"), ("", None)]
)
def test_a_country_is_two_letters_in_any_case(raw, parsed):
    assert country_parse(raw) == parsed


@pytest.mark.parametrize("raw", ["DEU", "D1", "Germany", "1", "É"])
def test_anything_else_is_an_invalid_country(raw):
    with pytest.raises(ApplicationError) as refused:
        country_parse(raw)

    assert refused.value.code == "invalid_country"
    assert refused.value.status_code == 400


@pytest.mark.parametrize(
    ("country", "currency"),
    [("DE", "eur"), ("FR", "eur"), ("IE", "eur"), ("GB", "gbp"), ("US", "usd")],
)
def test_a_country_pays_in_its_own_currency_when_we_sell_in_it(country, currency):
    assert currency_for_country(country) == currency


@pytest.mark.parametrize("country", ["JP", "CH", "XX", None])
def test_other_and_unknown_countries_pay_in_the_default_currency(country):
    assert currency_for_country(country) == "usd"


def test_a_currency_not_enabled_is_never_chosen(settings):
    settings.CURRENCIES = ["usd", "gbp"]

    assert currency_for_country("DE") == "usd"
    assert currency_for_country("GB") == "gbp"


@pytest.mark.parametrize(
    ("amount", "currency", "country", "shown"),
    [
        (999, "eur", "DE", "9,99\xa0€"),
        (899, "gbp", "GB", "£8.99"),
        (999, "usd", "US", "$9.99"),
        (999, "eur", "FR", "9,99\xa0€"),
        (500, "jpy", "JP", "￥500"),
    ],
)
def test_an_amount_is_written_as_the_reader_reads_it(amount, currency, country, shown):
    assert money_display(amount, currency, country=country).replace("\u202f", "\xa0") == shown


def test_an_unknown_country_reads_in_the_sites_language():
    assert locale_for_country("XX") == "en_US"
    assert money_display(999, "usd", country="XX") == "$9.99"


def test_the_eu_and_the_uk_see_prices_with_tax_included():
    assert country_prices_include_tax("DE")
    assert country_prices_include_tax("gb")
    assert not country_prices_include_tax("US")
    assert not country_prices_include_tax(None)


def test_stripe_tax_behaviour_follows_the_countries_that_pay_in_a_currency(settings):
    assert currency_tax_behavior("eur") == "inclusive"
    assert currency_tax_behavior("gbp") == "inclusive"
    assert currency_tax_behavior("usd") == "exclusive"

    settings.TAX_INCLUSIVE_COUNTRIES = frozenset({"DE"})
    assert currency_tax_behavior("gbp") == "exclusive"
