"""Payment intents: made for an invoice at its first payment attempt, confirmed with
its payment method (a charge per attempt), or left requiring action (3-D Secure)."""

from __future__ import annotations

import secrets
from typing import Any

from stripe_emulator.errors import StripeError, card_error, invalid
from stripe_emulator.params import SCALAR, get_str
from stripe_emulator.store import new_id

from .base import PAGE, Context, listing, retrieve, route
from .charges import charge_object, charge_outcome
from .common import error_detail
from .payment_methods import attach, resolve_attached
from .skeletons import fill

REQUIRES_ACTION_MESSAGE = (
    "This payment requires additional user action before it can be completed successfully. "
    "Payment can be completed using the PaymentIntent associated with the invoice."
)


def next_action_3ds(pi_id: str) -> dict[str, Any]:
    return fill(
        "payment_intent_next_action",
        {
            "use_stripe_sdk": {
                "type": "three_d_secure_redirect",
                "stripe_js": f"https://hooks.stripe.com/redirect/authenticate/{pi_id}",
                "source": new_id("src"),
            }
        },
    )


def pi_create(
    ctx: Context,
    *,
    amount: int,
    currency: str,
    customer: dict[str, Any],
    pm: dict[str, Any] | None,
    description: str,
) -> dict[str, Any]:
    pi_id = new_id("pi")
    pi = fill(
        "payment_intent",
        {
            "id": pi_id,
            "amount": amount,
            "client_secret": f"{pi_id}_secret_{secrets.token_urlsafe(18)}",
            "created": ctx.now(customer),
            "currency": currency,
            "customer": customer["id"],
            "description": description,
            "payment_method": pm["id"] if pm else None,
            "status": "requires_confirmation" if pm else "requires_payment_method",
        },
    )
    ctx.insert(pi)
    ctx.emit("payment_intent.created", pi)
    return pi


def pi_confirm(
    ctx: Context,
    pi: dict[str, Any],
    pm: dict[str, Any],
    forced: tuple[str, StripeError | None] | None = None,
) -> tuple[str, Any]:
    """Attempt the payment. Returns (status, error or None); `forced` overrides the card."""
    pi["payment_method"] = pm["id"]
    outcome, err = forced or charge_outcome(pm)
    if outcome == "succeeded":
        charge = ctx.insert(charge_object(ctx, pi, pm, True))
        pi.update(
            status="succeeded",
            amount_received=pi["amount"],
            latest_charge=charge["id"],
            last_payment_error=None,
            next_action=None,
        )
        ctx.emit("charge.succeeded", charge)
        ctx.emit("payment_intent.succeeded", pi)
        return "succeeded", None
    if outcome == "requires_action":
        pi.update(status="requires_action", next_action=next_action_3ds(pi["id"]))
        ctx.emit("payment_intent.requires_action", pi)
        return "requires_action", None
    charge = ctx.insert(charge_object(ctx, pi, pm, False, err))
    err.extra["charge"] = charge["id"]
    pi.update(
        status="requires_payment_method",
        latest_charge=charge["id"],
        last_payment_error=error_detail(err, pm, ctx.state),
        next_action=None,
    )
    err.extra["payment_intent"] = ctx.render(pi)
    ctx.emit("charge.failed", charge)
    ctx.emit("payment_intent.payment_failed", pi)
    return "declined", err


def invoice_of(ctx: Context, pi: dict[str, Any]) -> dict[str, Any] | None:
    """The invoice this payment intent pays, if any."""
    return next((i for i in ctx.state.all("invoice") if i.get("_pi") == pi["id"]), None)


retrieve("payment_intent", "/v1/payment_intents/{id}", {"client_secret": SCALAR})


def _where(ctx: Context, params: dict[str, Any], objs: list[dict[str, Any]]):
    if params.get("customer"):
        objs = [p for p in objs if p["customer"] == params["customer"]]
    return objs


listing("payment_intent", "/v1/payment_intents", PAGE | {"customer": SCALAR}, _where)


@route(
    "POST",
    "/v1/payment_intents/{id}/confirm",
    {
        "payment_method": SCALAR,
        "off_session": SCALAR,
        "return_url": SCALAR,
        "use_stripe_sdk": SCALAR,
        "client_secret": SCALAR,  # sent by Stripe.js with a publishable key
    },
)
def payment_intent_confirm(ctx: Context, params: dict[str, Any], id: str):
    """Confirm an invoice's payment intent (server-side; 3DS cannot be completed here)."""
    pi = ctx.get("payment_intent", id)
    if pi["status"] == "succeeded":
        raise invalid(
            "This PaymentIntent's payment_method could not be updated because it has a status of "
            "succeeded.",
            code="payment_intent_unexpected_state",
        )
    customer = ctx.state.find("customer", pi["customer"])
    pm_id = get_str(params, "payment_method") or pi["payment_method"]
    if not pm_id:
        raise invalid(
            "You cannot confirm this PaymentIntent because it's missing a payment method.",
            code="payment_intent_unexpected_state",
        )
    fresh = ctx.state.find("payment_method", pm_id)
    if fresh is not None and fresh["customer"] is None:
        # A card just entered in Stripe.js: saved to the customer, as Stripe saves it for
        # an invoice's PaymentIntent (its subscription charges it again) **(choice)**.
        attach(ctx, pm_id, customer)
    pm = resolve_attached(ctx, pm_id, customer, param="payment_method")
    invoice = invoice_of(ctx, pi)
    if invoice is not None:
        # Imported here: invoices and the dunning lifecycle build on this module.
        from stripe_emulator.lifecycle.dunning import settle_subscription

        from .invoices import invoice_attempt

        status, err = invoice_attempt(ctx, invoice, pm)
        settle_subscription(ctx, invoice, status)
    else:
        status, err = pi_confirm(ctx, pi, pm)
    # Confirming answers requires_action with the intent (next_action for Stripe.js);
    # only paying the invoice (POST /v1/invoices/{id}/pay) makes that an error.
    if err is not None and status != "requires_action":
        raise err
    return ctx.render(pi)


def authenticate_payment_intent(ctx: Context, pi: dict[str, Any], succeed: bool) -> None:
    """Finish a requires_action payment as Stripe.js would after the 3DS challenge."""
    if pi["status"] != "requires_action":
        raise invalid(
            f"This PaymentIntent is {pi['status']}, not requires_action.",
            code="payment_intent_unexpected_state",
        )
    pm = ctx.state.find("payment_method", pi["payment_method"])
    if succeed:
        forced: tuple[str, StripeError | None] = ("succeeded", None)
    else:
        forced = (
            "declined",
            card_error(
                "We are unable to authenticate your payment method. Please choose a different "
                "payment method and try again.",
                code="payment_intent_authentication_failure",
            ),
        )
    status, _ = pi_confirm(ctx, pi, pm, forced)
    invoice = invoice_of(ctx, pi)
    if invoice is None or invoice["status"] != "open":
        return
    # Imported here: invoices and the dunning lifecycle build on this module.
    from stripe_emulator.lifecycle.dunning import settle_subscription

    from .invoices import invoice_mark_paid

    before = ctx.render(invoice)
    if status == "succeeded":
        invoice_mark_paid(ctx, invoice)
    else:
        ctx.emit("invoice.payment_failed", invoice)
    ctx.emit("invoice.updated", invoice, before)
    settle_subscription(ctx, invoice, status)
