"""A reader takes an offer: checked, counted, then the subscription made with it.

One redemption per reader per offer (a unique constraint). The offer's counter
is taken by one conditional UPDATE (`times_redeemed < max_redemptions`): on
PostgreSQL two readers racing for the last place are serialised by the row's
lock and the second sees the cap reached (410 offer_expired), never both. The
place is taken and committed before Stripe is called (no transaction is held
across a Stripe call); if the creation then fails, the place is given back
(the redemption row deleted, the counter decremented), so nothing is counted
twice or lost. Stripe counts too (the promotion code's max_redemptions), the
cap of last resort should a creation whose outcome was unknown turn out made.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import User
from audit.services import Actor, audit_record
from billing import gateway
from billing import services as billing
from billing.models import Plan, Subscription
from billing.selectors import plan_get_for_sale
from config.errors import ApplicationError, Conflict
from offers.models import Offer, Redemption
from offers.selectors import (
    offer_applies_to,
    offer_expired_error,
    offer_find,
    offer_is_available,
)
from offers.winback import offer_targets_reader


def offer_start_trial(
    *,
    user: User,
    plan_code: str,
    offer_code: str = "",
    payment_method_id: str = "",
    location: billing.TaxLocation | None = None,
    currency: str = "",
) -> billing.SubscriptionResult:
    """The reader's free trial, with an offer if one is given: its discount, and its
    campaign trial length in place of TRIAL_DAYS; in `currency` (the default if none).
    `location`: where the reader is for tax (billing.services.tax)."""

    def create(code: str, offer: Offer | None) -> billing.SubscriptionResult:
        return billing.subscription_start_trial(
            user=user,
            plan_code=code,
            payment_method_id=payment_method_id,
            promotion_code_id=offer.stripe_promotion_code_id if offer else "",
            trial_days=offer.trial_days if offer else None,
            location=location,
            currency=currency,
        )

    return _with_offer(
        user=user, plan_code=plan_code, offer_code=offer_code, currency=currency,
        with_trial=True, create=create,
    )  # fmt: skip


def offer_subscribe(
    *,
    user: User,
    plan_code: str,
    payment_method_id: str,
    offer_code: str = "",
    location: billing.TaxLocation | None = None,
    currency: str = "",
) -> billing.SubscriptionResult:
    """Subscribe and pay at once, with an offer's discount if one is given (its trial
    length unused); in `currency` (the default if none). `location`: where the reader
    is for tax (billing.services.tax)."""

    def create(code: str, offer: Offer | None) -> billing.SubscriptionResult:
        return billing.subscription_subscribe(
            user=user,
            plan_code=code,
            payment_method_id=payment_method_id,
            promotion_code_id=offer.stripe_promotion_code_id if offer else "",
            location=location,
            currency=currency,
        )

    return _with_offer(
        user=user, plan_code=plan_code, offer_code=offer_code, currency=currency,
        with_trial=False, create=create,
    )  # fmt: skip


def _with_offer(
    *,
    user: User,
    plan_code: str,
    offer_code: str,
    currency: str,
    with_trial: bool,
    create: Callable[[str, Offer | None], billing.SubscriptionResult],
) -> billing.SubscriptionResult:
    """Billing's creation as it is without an offer; with one, checked for the reader
    and redeemed around the creation (offer_redeem)."""
    if not offer_code:
        return create(plan_code, None)
    offer, plan = offer_check_for_reader(
        user=user, offer_code=offer_code, plan_code=plan_code, currency=currency
    )
    return offer_redeem(
        offer=offer,
        user=user,
        plan=plan,
        with_trial=with_trial,
        create=lambda: create(plan.code, offer),
    )


def offer_check_for_reader(
    *, user: User, offer_code: str, plan_code: str, currency: str = ""
) -> tuple[Offer, Plan]:
    """400 invalid_offer (unknown), 410 offer_expired, 400 offer_not_applicable (another
    plan, first-time readers only, or an amount off with none in `currency`), 409
    offer_already_used."""
    plan = plan_get_for_sale(code=plan_code)
    offer = offer_find(code=offer_code)
    if offer is None or not offer.stripe_promotion_code_id:
        raise ApplicationError(
            "There is no such offer.",
            code="invalid_offer",
            fields={"offer": ["There is no such offer."]},
        )
    if not offer_is_available(offer=offer):
        raise offer_expired_error()
    if not offer_applies_to(offer=offer, plan=plan):
        raise ApplicationError(
            "This offer is not for this plan.",
            code="offer_not_applicable",
            fields={"offer": ["This offer is not for this plan."]},
        )
    currency = currency or str(settings.DEFAULT_CURRENCY)
    if offer.amount_off is not None and offer.amount_off_in(currency) is None:
        message = f"This offer has no amount in {currency.upper()}."
        raise ApplicationError(message, code="offer_not_applicable", fields={"offer": [message]})
    if offer.first_time_only and Subscription.objects.filter(user=user).exists():
        raise ApplicationError(
            "This offer is for new subscribers.",
            code="offer_not_applicable",
            fields={"offer": ["This offer is for new subscribers."]},
        )
    if not offer_targets_reader(offer=offer, user=user):
        raise ApplicationError(
            "This offer is for readers whose subscription ended recently.",
            code="offer_not_applicable",
            fields={"offer": ["This offer is for readers whose subscription ended recently."]},
        )
    _refuse_if_used(offer=offer, user=user)
    return offer, plan


def _refuse_if_used(*, offer: Offer, user: User) -> None:
    held = Redemption.objects.filter(offer=offer, user=user).first()
    if held is None:
        return
    if held.status == Redemption.Status.RESERVED:
        raise Conflict(
            "A subscription is already being started; try again in a moment.",
            code="operation_in_progress",
        )
    raise Conflict("You have already used this offer.", code="offer_already_used")


def redemption_reserve(*, offer: Offer, user: User, plan: Plan, with_trial: bool) -> Redemption:
    """Take one place of the offer for the reader, committed: 410 once none is left."""
    with transaction.atomic():
        taken = (
            Offer.objects.filter(pk=offer.pk, active=True)
            .filter(Q(max_redemptions__isnull=True) | Q(times_redeemed__lt=F("max_redemptions")))
            .update(times_redeemed=F("times_redeemed") + 1)
        )
        if not taken:
            raise offer_expired_error()
        try:
            with transaction.atomic():
                return Redemption.objects.create(
                    offer=offer, user=user, plan_code=plan.code, with_trial=with_trial
                )
        except IntegrityError as exc:
            _refuse_if_used(offer=offer, user=user)  # the reader holds one: 409
            # Held a moment ago, given back since: the reader's other request failed.
            raise Conflict(
                "A subscription is already being started; try again in a moment.",
                code="operation_in_progress",
            ) from exc


def redemption_release(*, redemption: Redemption) -> None:
    """Give a reserved place back: the subscription was not made."""
    with transaction.atomic():
        deleted, _ = Redemption.objects.filter(
            pk=redemption.pk, status=Redemption.Status.RESERVED
        ).delete()
        if deleted:
            Offer.objects.filter(pk=redemption.offer_id, times_redeemed__gt=0).update(
                times_redeemed=F("times_redeemed") - 1
            )


def offer_redeem(
    *,
    offer: Offer,
    user: User,
    plan: Plan,
    with_trial: bool,
    create: Callable[[], billing.SubscriptionResult],
) -> billing.SubscriptionResult:
    redemption = redemption_reserve(offer=offer, user=user, plan=plan, with_trial=with_trial)
    try:
        result = create()
    except gateway.StripeInvalidRequest as exc:
        redemption_release(redemption=redemption)
        if exc.param.startswith("discounts"):
            # Stripe refuses the promotion code (its own count reached, expired):
            # for the reader the offer is over.
            raise offer_expired_error() from exc
        raise
    except BaseException:
        redemption_release(redemption=redemption)
        raise
    subscription = result.subscription
    with transaction.atomic():
        redemption.status = Redemption.Status.REDEEMED
        redemption.subscription = subscription
        redemption.redeemed_at = timezone.now()
        redemption.save(update_fields=["status", "subscription", "redeemed_at"])
        audit_record(
            action="offer.redeemed",
            actor_type=Actor.READER,
            actor_user=user,
            reader=user,
            after={
                "offer": offer.code,
                "plan": plan.code,
                "with_trial": with_trial,
                "trial_days": offer.trial_days if with_trial else None,
                "discount": subscription.discount,
            },
            stripe_object_id=subscription.stripe_subscription_id,
        )
        transaction.on_commit(lambda: _mail_offer_applied(redemption.pk))
    return result


def _mail_offer_applied(redemption_id: int) -> None:
    from offers.tasks import send_offer_applied

    send_offer_applied.delay(redemption_id)
