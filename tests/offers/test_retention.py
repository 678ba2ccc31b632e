"""Retention: a reader who wants to leave says why, is offered what staff matched to
that reason (a discount for some months, or a pause), and either takes it (saved) or
cancels anyway; Stripe gets the reason as cancellation_details; admin reports it."""

import pytest

from audit.models import AuditLog
from billing.models import StripeAttempt, Subscription
from billing.services.pause import pause_resumes_at
from offers.models import CancellationFeedback, Offer, Redemption, SaveOffer
from tests.helpers.billing import subscribe
from tests.helpers.offers import create_offer
from tests.stripe_time import past_renewal

pytestmark = pytest.mark.django_db

OPTIONS = "/api/billing/subscription/cancel-options/"
CANCEL = "/api/billing/subscription/cancel/"
SAVE = "/api/billing/subscription/save-offer/"


@pytest.fixture
def active(plans, reader_client):
    return subscribe(reader_client)


@pytest.fixture
def save_offers(plans):
    """too_expensive: 50% off for 3 months; temporary_break: a 2-month pause;
    found_alternative: nothing."""
    stay = create_offer(
        "--code", "STAY50", "--percent-off", "50", "--duration", "months", "--months", "3",
        "--headline", "Stay: half price for 3 months",
    )  # fmt: skip
    SaveOffer.objects.create(reason="too_expensive", kind="discount", offer=stay)
    SaveOffer.objects.create(reason="temporary_break", kind="pause", months=2)
    SaveOffer.objects.create(reason="found_alternative", kind="none")
    return stay


def test_the_options_list_every_reason_with_its_configured_save_offer(
    save_offers, active, reader_client
):
    response = reader_client.get(OPTIONS)

    assert response.status_code == 200
    options = {o["reason"]: o for o in response.json()}
    assert list(options) == [
        "too_expensive",
        "not_reading_enough",
        "found_alternative",
        "technical_problems",
        "temporary_break",
        "other",
    ]
    assert options["too_expensive"]["label"] == "It is too expensive"
    assert options["too_expensive"]["save_offer"]["kind"] == "discount"
    assert options["too_expensive"]["save_offer"]["offer"]["code"] == "STAY50"
    assert options["too_expensive"]["save_offer"]["offer"]["duration_in_months"] == 3
    assert options["temporary_break"]["save_offer"] == {"kind": "pause", "months": 2, "offer": None}
    assert options["found_alternative"]["save_offer"] is None
    assert options["not_reading_enough"]["save_offer"] is None
    assert options["other"]["takes_comment"] is True
    assert options["too_expensive"]["takes_comment"] is False


def test_the_options_need_the_reader(client):
    assert client.get(OPTIONS).status_code == 401


def test_a_cancellation_with_a_reason_is_recorded_and_sent_to_stripe(
    save_offers, active, reader, reader_client, stripe_sdk
):
    response = reader_client.post(
        CANCEL, {"reason": "too_expensive", "comment": "  Prices went up  "}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["cancel_at_period_end"] is True  # billing's semantics, unchanged
    remote = stripe_sdk.v1.subscriptions.retrieve(active["id"])
    assert remote.cancellation_details.feedback == "too_expensive"
    assert remote.cancellation_details.comment == "Prices went up"
    feedback = CancellationFeedback.objects.get()
    assert (feedback.user, feedback.reason, feedback.comment) == (
        reader,
        "too_expensive",
        "Prices went up",
    )
    assert (feedback.offered_kind, feedback.outcome) == ("discount", "cancelled")
    assert feedback.subscription.stripe_subscription_id == active["id"]
    entry = AuditLog.objects.get(action="subscription.cancel_requested")
    assert entry.reason == "reader's reason: too_expensive"

    # A second click changes nothing and records nothing twice.
    again = reader_client.post(CANCEL, {"reason": "too_expensive"}, format="json")
    assert again.status_code == 200
    assert CancellationFeedback.objects.count() == 1


def test_a_reason_stripe_has_no_word_for_is_other_and_named_in_the_comment(
    active, reader_client, stripe_sdk
):
    response = reader_client.post(
        CANCEL, {"reason": "temporary_break", "at_period_end": False}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "canceled"
    remote = stripe_sdk.v1.subscriptions.retrieve(active["id"])
    assert remote.cancellation_details.feedback == "other"
    assert remote.cancellation_details.comment == "temporary_break"
    assert CancellationFeedback.objects.get().offered_kind == "none"


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "bored"}, {"reason": 3}])
def test_a_cancellation_needs_a_reason_from_the_list(active, reader_client, stripe, body):
    response = reader_client.post(CANCEL, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_reason"
    assert "reason" in response.json()["fields"]
    assert not Subscription.objects.get(stripe_subscription_id=active["id"]).cancel_at_period_end
    assert not CancellationFeedback.objects.exists()


def test_a_comment_is_bounded(active, reader_client):
    response = reader_client.post(CANCEL, {"reason": "other", "comment": "x" * 501}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_comment"
    assert "comment" in response.json()["fields"]


def test_a_cancellation_without_a_subscription_keeps_its_409(plans, reader_client):
    response = reader_client.post(CANCEL, {"reason": "other"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "no_subscription"


def test_the_discount_save_offer_discounts_the_next_renewals_counted_once(
    save_offers, active, reader, reader_client, stripe, stripe_sdk
):
    response = reader_client.post(SAVE, {"reason": "too_expensive"}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["discount"]["offer"] == "STAY50"
    assert body["discount"]["percent_off"] == 50
    assert body["cancel_at_period_end"] is False
    remote = stripe_sdk.v1.subscriptions.retrieve(active["id"])
    past_renewal(stripe, remote.to_dict())
    invoices = reader_client.get("/api/billing/invoices/").json()["results"]
    renewal = max(invoices, key=lambda invoice: invoice["created"])
    assert (renewal["discount_amount"], renewal["amount_paid"]) == (500, 499)

    save_offers.refresh_from_db()
    assert save_offers.times_redeemed == 1
    assert Redemption.objects.get().status == "redeemed"
    code = stripe_sdk.v1.promotion_codes.retrieve(save_offers.stripe_promotion_code_id)
    assert code.times_redeemed == 1
    assert AuditLog.objects.get(action="offer.redeemed").after["offer"] == "STAY50"
    feedback = CancellationFeedback.objects.get()
    assert (feedback.reason, feedback.offered_kind, feedback.outcome) == (
        "too_expensive",
        "discount",
        "saved",
    )
    entry = AuditLog.objects.get(action="subscription.discount_applied")
    assert entry.actor_user == reader
    assert entry.after["discount"]["offer"] == "STAY50"

    # A second POST applies nothing more.
    again = reader_client.post(SAVE, {"reason": "too_expensive"}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "save_offer_already_used"
    save_offers.refresh_from_db()
    assert save_offers.times_redeemed == 1
    discount_writes = [
        r
        for r in stripe.requests()
        if r["method"] == "POST" and r["path"] == f"/v1/subscriptions/{active['id']}"
    ]
    assert len(discount_writes) == 1


def test_the_pause_save_offer_pauses_for_the_configured_months(
    save_offers, active, reader, reader_client, stripe_sdk
):
    response = reader_client.post(SAVE, {"reason": "temporary_break"}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["pause_collection"]["behavior"] == "void"
    local = Subscription.objects.get(stripe_subscription_id=active["id"])
    remote = stripe_sdk.v1.subscriptions.retrieve(active["id"])
    assert remote.pause_collection.resumes_at == int(local.pause_resumes_at.timestamp())
    entry = AuditLog.objects.get(action="subscription.paused")
    assert entry.reason == "save offer for temporary_break"
    attempt = StripeAttempt.objects.get(operation="subscription.pause")
    assert local.pause_resumes_at == pause_resumes_at(started=attempt.created_at, months=2)
    feedback = CancellationFeedback.objects.get()
    assert (feedback.offered_kind, feedback.pause_months, feedback.outcome) == ("pause", 2, "saved")

    again = reader_client.post(SAVE, {"reason": "temporary_break"}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "save_offer_already_used"


@pytest.mark.parametrize("reason", ["found_alternative", "not_reading_enough"])
def test_no_save_offer_for_the_reason_is_409(save_offers, active, reader_client, reason):
    response = reader_client.post(SAVE, {"reason": reason}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "no_save_offer"


def test_a_save_offer_needs_a_subscription_and_a_reason(save_offers, reader_client):
    no_subscription = reader_client.post(SAVE, {"reason": "too_expensive"}, format="json")
    invalid = reader_client.post(SAVE, {"reason": "meh"}, format="json")

    assert no_subscription.status_code == 409
    assert no_subscription.json()["code"] == "no_subscription"
    assert invalid.status_code == 400
    assert invalid.json()["code"] == "invalid_reason"
    assert Offer.objects.get(code="STAY50").times_redeemed == 0


def test_a_cancelling_subscription_takes_no_save_offer_until_resumed(
    save_offers, active, reader_client
):
    reader_client.post(CANCEL, {"reason": "too_expensive"}, format="json")

    refused = reader_client.post(SAVE, {"reason": "too_expensive"}, format="json")

    assert refused.status_code == 409
    assert refused.json()["code"] == "subscription_not_changeable"
    assert Offer.objects.get(code="STAY50").times_redeemed == 0
    reader_client.post("/api/billing/subscription/resume/")
    taken = reader_client.post(SAVE, {"reason": "too_expensive"}, format="json")
    assert taken.status_code == 200, taken.json()
    outcomes = sorted(CancellationFeedback.objects.values_list("outcome", flat=True))
    assert outcomes == ["cancelled", "saved"]


def test_a_cancellation_records_what_this_reader_was_offered(save_offers, active, reader_client):
    # The reader used the discount's offer before: nothing was offered for the reason.
    Redemption.objects.create(
        offer=save_offers, user=Subscription.objects.get().user, plan_code="monthly",
        with_trial=False, status="redeemed",
    )  # fmt: skip
    options = {o["reason"]: o for o in reader_client.get(OPTIONS).json()}
    assert options["too_expensive"]["save_offer"] is None

    reader_client.post(CANCEL, {"reason": "too_expensive"}, format="json")

    assert CancellationFeedback.objects.get().offered_kind == "none"
