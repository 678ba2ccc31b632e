"""Offers as staff and operators make them: validated, synced to Stripe (coupon and
promotion code), edited as Stripe allows, audited."""

import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from audit.models import AuditLog
from config.errors import ApplicationError
from offers.models import Offer
from offers.services import offer_deactivate, offer_save
from tests.helpers.offers import create_offer

pytestmark = pytest.mark.django_db


BACKWARDS_WINDOW = ["--starts-at", "2099-02-01", "--ends-at", "2099-01-01"]


def writes(stripe, path):
    return [r for r in stripe.requests() if r["method"] == "POST" and r["path"] == path]


def test_create_offer_makes_a_coupon_and_a_promotion_code(plans, stripe, stripe_sdk):
    offer = create_offer(
        "--code", "Summer25", "--amount-off", "250", "--currency", "USD",
        "--amount-off", "EUR:250", "--amount-off", "gbp:200",
        "--duration", "months", "--months", "2", "--plans", "monthly",
        "--ends-at", "2099-09-01T00:00:00+00:00", "--max-redemptions", "100",
        "--first-time-only", "--trial-days", "14", "--headline", "2.50 off",
    )  # fmt: skip

    coupon = stripe_sdk.v1.coupons.retrieve(offer.stripe_coupon_id)
    assert (coupon.amount_off, coupon.currency, coupon.duration) == (250, "usd", "repeating")
    options = coupon.currency_options.to_dict()
    assert {cur: o["amount_off"] for cur, o in options.items()} == {"eur": 250, "gbp": 200}
    assert coupon.duration_in_months == 2
    assert coupon.applies_to.products == [plans["monthly"].stripe_product_id]
    code = stripe_sdk.v1.promotion_codes.retrieve(offer.stripe_promotion_code_id)
    assert code.code == "Summer25"
    assert code.max_redemptions == 100
    assert code.expires_at == int(datetime(2099, 9, 1, tzinfo=UTC).timestamp())
    assert code.restrictions.first_time_transaction is True
    assert code.active is True
    assert offer.trial_days == 14
    # Every write carried an idempotency key of the offer's own.
    for request in writes(stripe, "/v1/coupons") + writes(stripe, "/v1/promotion_codes"):
        assert request["idempotency_key"].startswith(f"offer-{offer.stripe_key_base}-")
    entry = AuditLog.objects.get(action="offer.created")
    assert entry.actor_type == "system"
    assert entry.after["code"] == "Summer25"
    assert entry.after["plans"] == ["monthly"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--code", "X1Y", "--amount-off", "100"], "--amount-off needs --currency"),
        (["--code", "X1Y", "--amount-off", "usd:100"], "missing EUR, GBP"),
        (["--code", "X1Y", "--amount-off", "usd:ten"], "not a whole number"),
        (["--code", "X1Y", "--amount-off", "usd:1", "--amount-off", "USD:2"], "usd given twice"),
        (["--code", "X1Y", "--percent-off", "10", "--currency", "usd"], "--currency goes with"),
        (["--code", "X1Y", "--percent-off", "10", "--duration", "months"], "--months N"),
        (["--code", "X1Y", "--percent-off", "ten"], "not a number"),
        (["--code", "X1Y", "--percent-off", "150"], "percent_off"),
        (["--code", "X1Y", "--percent-off", "10", "--trial-days", "91"], "trial_days"),
        (["--code", "no way", "--percent-off", "10"], "code"),
        (["--code", "X1Y", "--percent-off", "10", "--plans", "weekly"], "no such plan: weekly"),
        (["--code", "X1Y", "--percent-off", "10", "--ends-at", "soon"], "--ends-at: not an ISO"),
        (
            [*["--code", "X1Y", "--percent-off", "10"], *BACKWARDS_WINDOW],
            "ends_at",
        ),
    ],
)
def test_create_offer_says_what_is_wrong(plans, stripe, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_offer", *args, stdout=io.StringIO())

    assert not Offer.objects.exists()
    assert not writes(stripe, "/v1/coupons")


def test_a_code_is_unique_whatever_its_case(half_price_3_months, stripe):
    with pytest.raises(CommandError, match="codes ignore case"):
        create_offer("--code", "half3", "--percent-off", "10")
    with pytest.raises(IntegrityError), transaction.atomic():
        Offer.objects.create(code="Half3", headline="x", percent_off=Decimal(5))


def test_the_database_refuses_an_offer_with_both_a_percentage_and_an_amount(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Offer.objects.create(
            code="BOTH", headline="x", percent_off=Decimal(5), amount_off=100, currency="usd"
        )


def test_the_model_refuses_months_without_a_repeating_duration(db):
    offer = Offer(code="ODD", headline="x", percent_off=Decimal(5), duration_in_months=3)
    with pytest.raises(ValidationError, match="Only a repeating discount"):
        offer.full_clean()


def test_a_new_discount_before_any_redemption_makes_a_new_coupon(half_price_3_months, stripe_sdk):
    offer = half_price_3_months
    old_coupon, old_code = offer.stripe_coupon_id, offer.stripe_promotion_code_id
    offer.percent_off = Decimal(40)

    offer_save(offer=offer, plans=list(offer.plans.all()), actor=None)

    assert offer.stripe_coupon_id != old_coupon
    assert stripe_sdk.v1.coupons.retrieve(offer.stripe_coupon_id).percent_off == 40
    assert stripe_sdk.v1.promotion_codes.retrieve(old_code).active is False
    assert stripe_sdk.v1.promotion_codes.retrieve(offer.stripe_promotion_code_id).active is True
    entry = AuditLog.objects.get(action="offer.changed")
    assert (entry.before["percent_off"], entry.after["percent_off"]) == ("50", "40")


def test_a_redeemed_offer_keeps_its_discount(half_price_3_months, reader_client, stripe):
    reader_client.post(
        "/api/billing/subscribe/",
        {"plan": "monthly", "payment_method": "pm_card_visa", "offer": "HALF3"},
        format="json",
    )
    offer = Offer.objects.get(pk=half_price_3_months.pk)
    offer.percent_off = Decimal(90)
    coupons_before = len(writes(stripe, "/v1/coupons"))

    with pytest.raises(ApplicationError) as refused:
        offer_save(offer=offer, plans=list(offer.plans.all()), actor=None)

    assert refused.value.code == "offer_redeemed"
    assert Offer.objects.get(pk=offer.pk).percent_off == 50
    assert len(writes(stripe, "/v1/coupons")) == coupons_before


def test_a_new_cap_after_redemptions_makes_a_code_with_what_is_left(
    plans, reader_client, stripe_sdk
):
    offer = create_offer("--code", "CAPPED", "--percent-off", "10", "--max-redemptions", "5")
    reader_client.post(
        "/api/billing/subscribe/",
        {"plan": "monthly", "payment_method": "pm_card_visa", "offer": "CAPPED"},
        format="json",
    )
    offer.refresh_from_db()
    old_code, coupon = offer.stripe_promotion_code_id, offer.stripe_coupon_id
    offer.max_redemptions = 3

    offer_save(offer=offer, plans=[], actor=None)

    assert offer.stripe_coupon_id == coupon
    assert stripe_sdk.v1.promotion_codes.retrieve(old_code).active is False
    new_code = stripe_sdk.v1.promotion_codes.retrieve(offer.stripe_promotion_code_id)
    assert (new_code.code, new_code.max_redemptions, new_code.active) == ("CAPPED", 2, True)


def test_deactivating_an_offer_deactivates_its_promotion_code(half_price_3_months, stripe_sdk):
    offer_deactivate(offer=half_price_3_months, actor=None, reason="campaign over")

    code = stripe_sdk.v1.promotion_codes.retrieve(half_price_3_months.stripe_promotion_code_id)
    assert code.active is False
    entry = AuditLog.objects.get(action="offer.changed")
    assert (entry.before["active"], entry.after["active"], entry.reason) == (
        True,
        False,
        "campaign over",
    )
