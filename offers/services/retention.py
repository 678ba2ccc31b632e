"""Retention: the reader's reason for leaving, the save offer matched to it, and the outcome.

Billing knows nothing of reasons or offers (the layers: billing < offers); this module
composes billing's services: the cancellation (with Stripe's `cancellation_details`),
the pause (subscription_pause, months from the SaveOffer) and a discount on the existing
subscription (subscription_discount_apply, the offer's promotion code, counted once as
any redemption: offers.services.redemptions.offer_redeem). Each answer is recorded as a
CancellationFeedback row, the source of the monthly report (offers.selectors).

One save per subscription: a partial unique constraint on the saved rows, so a double
POST, or a second reason tried after a first save, applies once.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from accounts.models import User
from audit.services import Actor, audit_record
from billing import services as billing
from billing.models import Subscription
from billing.selectors import subscription_get_live
from billing.services.apply import Audit
from config.errors import ApplicationError, Conflict
from offers.models import (
    COMMENT_MAX_LENGTH,
    CancellationFeedback,
    CancelReason,
    Redemption,
    SaveOffer,
    SaveOfferKind,
)
from offers.retention_selectors import save_offers_for_reader
from offers.selectors import offer_applies_to, offer_expired_error, offer_is_available
from offers.services.redemptions import offer_redeem

# Stripe's `cancellation_details.feedback` values where one says the same; the rest are
# `other`, the reader's own words (or our reason's code) in the comment.
STRIPE_FEEDBACK = {
    CancelReason.TOO_EXPENSIVE: "too_expensive",
    CancelReason.NOT_READING_ENOUGH: "unused",
    CancelReason.FOUND_ALTERNATIVE: "switched_service",
    CancelReason.TECHNICAL_PROBLEMS: "low_quality",
}


def reason_check(reason: object) -> CancelReason:
    """The reason from the fixed list: 400 invalid_reason otherwise (none given too)."""
    if isinstance(reason, str) and reason in CancelReason.values:
        return CancelReason(reason)
    choices = ", ".join(CancelReason.values)
    raise ApplicationError(
        f"Pick a reason from the list: {choices}.",
        code="invalid_reason",
        fields={"reason": [f"One of: {choices}."]},
    )


def comment_check(comment: object) -> str:
    text = comment.strip() if isinstance(comment, str) else ""
    if len(text) > COMMENT_MAX_LENGTH:
        raise ApplicationError(
            f"A comment has at most {COMMENT_MAX_LENGTH} characters.",
            code="invalid_comment",
            fields={"comment": [f"At most {COMMENT_MAX_LENGTH} characters."]},
        )
    return text


def stripe_cancellation_details(*, reason: CancelReason, comment: str) -> dict[str, str]:
    """Stripe's {feedback, comment}: the reason mapped to Stripe's enum, the comment kept;
    a reason Stripe has no word for is `other`, and named in the comment."""
    feedback = STRIPE_FEEDBACK.get(reason, "other")
    if feedback == "other" and reason != CancelReason.OTHER:
        comment = f"{reason.value}: {comment}" if comment else reason.value
    details = {"feedback": feedback}
    if comment:
        details["comment"] = comment
    return details


def save_offer_for(reason: CancelReason) -> SaveOffer | None:
    return SaveOffer.objects.select_related("offer").filter(reason=reason).first()


def subscription_cancel_with_reason(
    *, user: User, reason: object, comment: object = "", at_period_end: bool = True
) -> Subscription:
    """billing's cancellation (same rules, same errors), with the reader's reason sent to
    Stripe and recorded as a CancellationFeedback, outcome `cancelled`."""
    checked = reason_check(reason)
    text = comment_check(comment)
    before = subscription_get_live(user=user)
    already_cancelling = before is not None and before.cancel_at_period_end and at_period_end
    # What this reader is offered for the reason (nothing if the offer is not usable).
    save_offer = save_offers_for_reader(user=user).get(checked.value)
    subscription = billing.subscription_cancel(
        user=user,
        at_period_end=at_period_end,
        audit=Audit(Actor.READER, user=user, reason=f"reader's reason: {checked.value}"),
        cancellation_details=stripe_cancellation_details(reason=checked, comment=text),
    )
    if not already_cancelling:  # a second click records nothing twice
        CancellationFeedback.objects.create(
            user=user,
            subscription=subscription,
            reason=checked,
            comment=text,
            offered_kind=save_offer.kind if save_offer else SaveOfferKind.NONE,
            offer=save_offer.offer if save_offer else None,
            pause_months=save_offer.months if save_offer else None,
            outcome=CancellationFeedback.Outcome.CANCELLED,
        )
    return subscription


def _already_used() -> Conflict:
    return Conflict(
        "A save offer was already applied to this subscription.", code="save_offer_already_used"
    )


def save_offer_apply(*, user: User, reason: object) -> Subscription:
    """Apply the save offer staff matched to this reason to the reader's subscription:
    a discount (the offer's promotion code on the subscription) or a pause.

    400 invalid_reason; 409 no_save_offer, no_subscription, save_offer_already_used,
    subscription_not_changeable (a cancellation is pending);
    the offer's 410 offer_expired and 400 offer_not_applicable; the pause's 409s.
    """
    checked = reason_check(reason)
    save_offer = save_offer_for(checked)
    if save_offer is None or save_offer.kind == SaveOfferKind.NONE:
        raise Conflict("There is no offer for this reason.", code="no_save_offer")
    subscription = subscription_get_live(user=user)
    if subscription is None:
        raise Conflict("You have no current subscription.", code="no_subscription")
    saved = CancellationFeedback.objects.filter(
        subscription=subscription, outcome=CancellationFeedback.Outcome.SAVED
    )
    if saved.exists():
        raise _already_used()
    if subscription.cancel_at_period_end:
        raise Conflict(
            "Your subscription is being cancelled: undo the cancellation first.",
            code="subscription_not_changeable",
        )
    audit = Audit(Actor.READER, user=user, reason=f"save offer for {checked.value}")
    if save_offer.kind == SaveOfferKind.PAUSE:
        assert save_offer.months is not None  # noqa: S101 - the model's constraint
        result = billing.subscription_pause(user=user, months=save_offer.months, audit=audit)
    else:
        result = _discount_apply(user=user, subscription=subscription, save_offer=save_offer)
    try:
        with transaction.atomic():
            CancellationFeedback.objects.create(
                user=user,
                subscription=result,
                reason=checked,
                offered_kind=save_offer.kind,
                offer=save_offer.offer,
                pause_months=save_offer.months,
                outcome=CancellationFeedback.Outcome.SAVED,
            )
    except IntegrityError as exc:  # a concurrent request saved it (and shared the write)
        raise _already_used() from exc
    return result


def _discount_apply(
    *, user: User, subscription: Subscription, save_offer: SaveOffer
) -> Subscription:
    offer = save_offer.offer
    assert offer is not None  # noqa: S101 - the model's constraint
    if Redemption.objects.filter(offer=offer, user=user).exists():
        raise _already_used()
    if not offer.stripe_promotion_code_id or not offer_is_available(offer=offer):
        raise offer_expired_error()
    if not offer_applies_to(offer=offer, plan=subscription.plan):
        raise ApplicationError("This offer is not for your plan.", code="offer_not_applicable")
    result = offer_redeem(
        offer=offer,
        user=user,
        plan=subscription.plan,
        with_trial=False,
        create=lambda: billing.SubscriptionResult(
            billing.subscription_discount_apply(
                user=user,
                promotion_code_id=offer.stripe_promotion_code_id,
                audit=Audit(Actor.READER, user=user, reason=f"save offer {offer.code}"),
            )
        ),
    )
    return result.subscription


def save_offer_save(*, save_offer: SaveOffer, actor: User, reason: str) -> SaveOffer:
    """Staff match a save offer to a reason (admin): validated, saved, audited."""
    save_offer.full_clean()
    before = (
        SaveOffer.objects.filter(pk=save_offer.pk).values("kind", "offer_id", "months").first()
        if save_offer.pk
        else None
    )
    with transaction.atomic():
        save_offer.save()
        audit_record(
            action="save_offer.saved",
            actor_type=Actor.STAFF,
            actor_user=actor,
            reason=reason,
            before={"reason": save_offer.reason, **before} if before else None,
            after={
                "reason": save_offer.reason,
                "kind": save_offer.kind,
                "offer_id": save_offer.offer_id,
                "months": save_offer.months,
            },
        )
    return save_offer
