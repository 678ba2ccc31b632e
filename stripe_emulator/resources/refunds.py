"""Refunds of a succeeded charge (whole or partial)."""

from __future__ import annotations

from typing import Any

from stripe_emulator.errors import invalid, missing_param
from stripe_emulator.params import EMAIL, MAP, SCALAR, get_enum, get_int, get_metadata, get_str
from stripe_emulator.store import new_id

from .base import PAGE, Context, listing, retrieve, route
from .skeletons import fill

REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")


@route(
    "POST",
    "/v1/refunds",
    {
        "charge": SCALAR,
        "payment_intent": SCALAR,
        "amount": SCALAR,
        "reason": SCALAR,
        "metadata": MAP,
        "instructions_email": EMAIL,
    },
)
def refund_create(ctx: Context, params: dict[str, Any]):
    charge_id = get_str(params, "charge")
    pi_id = get_str(params, "payment_intent")
    if charge_id and pi_id:
        raise invalid(
            "You may only specify one of these parameters: charge, payment_intent.",
            param="charge",
            code="parameters_exclusive",
        )
    if pi_id:
        pi = ctx.get("payment_intent", pi_id, param="payment_intent", status=400)
        if pi["status"] != "succeeded" or not pi["latest_charge"]:
            raise invalid(
                f"This PaymentIntent ({pi_id}) does not have a successful charge to refund.",
                param="payment_intent",
                code="charge_not_refundable",
            )
        charge_id = pi["latest_charge"]
    if not charge_id:
        raise missing_param("charge")
    charge = ctx.get("charge", charge_id, param="charge", status=400)
    if charge["status"] != "succeeded":
        raise invalid(
            f"Charge {charge_id} has not succeeded, so it cannot be refunded.",
            param="charge",
            code="charge_not_refundable",
        )
    remaining = charge["amount"] - charge["amount_refunded"]
    amount = get_int(params, "amount", minimum=1)
    amount = remaining if amount is None else amount
    if remaining == 0:
        raise invalid(
            f"Charge {charge_id} has already been refunded.", code="charge_already_refunded"
        )
    if amount > remaining:
        raise invalid(
            f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})",
            param="amount",
            code="amount_too_large",
        )
    refund = fill(
        "refund",
        {
            "id": new_id("re"),
            "amount": amount,
            "balance_transaction": new_id("txn"),
            "charge": charge_id,
            "created": ctx.now(charge["customer"]),
            "currency": charge["currency"],
            "customer": charge["customer"],
            "metadata": get_metadata(params),
            "payment_intent": charge["payment_intent"],
            "payment_method": charge["payment_method"],
            "reason": get_enum(params, "reason", REFUND_REASONS),
        },
    )
    ctx.insert(refund)
    before = ctx.render(charge)
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] == charge["amount"]
    ctx.emit("refund.created", refund)
    ctx.emit("charge.refunded", charge, before)
    return ctx.render(refund)


retrieve("refund", "/v1/refunds/{id}")


def _where(ctx: Context, params: dict[str, Any], objs: list[dict[str, Any]]):
    for key in ("charge", "payment_intent"):
        if params.get(key):
            objs = [r for r in objs if r[key] == params[key]]
    return objs


listing(
    "refund",
    "/v1/refunds",
    PAGE | {"charge": SCALAR, "payment_intent": SCALAR, "created": "any"},
    _where,
)
