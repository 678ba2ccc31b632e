"""Setup intents: save a card for later off-session charges."""

from __future__ import annotations

import secrets
from typing import Any

from stripe_emulator.errors import card_error, invalid
from stripe_emulator.params import (
    ANY,
    MAP,
    SCALAR,
    ListOf,
    get_bool,
    get_enum,
    get_metadata,
    get_str,
)
from stripe_emulator.store import new_id

from .base import PAGE, Context, listing, retrieve, route
from .cards import card_for
from .common import error_detail
from .payment_method_types import payment_method_types
from .payment_methods import attach, decline_error, resolve
from .skeletons import fill


def setup_intent_object(ctx: Context, customer: dict[str, Any] | None, usage: str = "off_session"):
    seti_id = new_id("seti")
    return fill(
        "setup_intent",
        {
            "id": seti_id,
            "client_secret": f"{seti_id}_secret_{secrets.token_urlsafe(24)}",
            "created": ctx.now(customer),
            "customer": customer["id"] if customer else None,
            "usage": usage,
        },
    )


def _confirm(ctx: Context, seti: dict[str, Any], pm_id: str | None) -> None:
    if seti["status"] == "succeeded":
        raise invalid(
            "You cannot confirm this SetupIntent because it has already succeeded.",
            code="setup_intent_unexpected_state",
        )
    pm_id = pm_id or seti["payment_method"]
    if not pm_id:
        raise invalid(
            "You cannot confirm this SetupIntent because it's missing a payment method. Update "
            "the SetupIntent with a payment method and then confirm it again.",
            code="setup_intent_unexpected_state",
        )
    pm = resolve(ctx, pm_id)
    seti["payment_method"] = pm["id"]
    card = card_for(pm)
    if card.behaviour == "declined":
        err = decline_error(card)
        seti["status"] = "requires_payment_method"
        seti["last_setup_error"] = error_detail(err, pm, ctx.state)
        err.extra["setup_intent"] = ctx.render(seti)
        ctx.emit("setup_intent.setup_failed", seti)
        raise err
    if card.behaviour in ("auth_always", "auth_on_setup"):
        seti["status"] = "requires_action"
        seti["next_action"] = fill(
            "setup_intent_next_action",
            {"use_stripe_sdk": {"type": "three_d_secure_redirect", "source": new_id("src")}},
        )
        ctx.emit("setup_intent.requires_action", seti)
        return
    _succeed(ctx, seti, pm)


def _succeed(ctx: Context, seti: dict[str, Any], pm: dict[str, Any]) -> None:
    customer = ctx.state.find("customer", seti["customer"]) if seti["customer"] else None
    if customer is not None:
        attach(ctx, pm["id"], customer)
    pm["_setup_done"] = True
    seti.update(status="succeeded", next_action=None, last_setup_error=None)
    ctx.emit("setup_intent.succeeded", seti)
    # A subscription waiting on this SetupIntent no longer needs it.
    for sub in ctx.state.all("subscription"):
        if sub.get("pending_setup_intent") == seti["id"]:
            before = ctx.render(sub)
            sub["pending_setup_intent"] = None
            ctx.emit("customer.subscription.updated", sub, before)


@route(
    "POST",
    "/v1/setup_intents",
    {
        "customer": SCALAR,
        "payment_method": SCALAR,
        "confirm": SCALAR,
        "usage": SCALAR,
        "metadata": MAP,
        "description": SCALAR,
        "return_url": SCALAR,
        "automatic_payment_methods": {"enabled": SCALAR, "allow_redirects": SCALAR},
        "allowed_payment_method_types": ListOf(SCALAR),
        "excluded_payment_method_types": ListOf(SCALAR),
        # Removed in 2026-09-30.endive: accepted here only to answer Stripe's own error.
        "payment_method_types": ANY,
    },
)
def setup_intent_create(ctx: Context, params: dict[str, Any]):
    customer = None
    customer_id = get_str(params, "customer")
    if customer_id:
        customer = ctx.get("customer", customer_id, param="customer", status=400)
    usage = get_enum(params, "usage", ("off_session", "on_session")) or "off_session"
    types = payment_method_types(params)
    if types["allowed_payment_method_types"] and params.get("automatic_payment_methods"):
        raise invalid(
            "You may only specify one of these parameters: allowed_payment_method_types, "
            "automatic_payment_methods.",
            param="allowed_payment_method_types",
            code="parameters_exclusive",
        )
    seti = setup_intent_object(ctx, customer, usage)
    seti.update(types)
    seti["metadata"] = get_metadata(params)
    seti["description"] = get_str(params, "description") or None
    pm_id = get_str(params, "payment_method")
    if pm_id:
        seti["payment_method"] = resolve(ctx, pm_id)["id"]
        seti["status"] = "requires_confirmation"
    ctx.insert(seti)
    ctx.emit("setup_intent.created", seti)
    if get_bool(params, "confirm"):
        _confirm(ctx, seti, None)
    return ctx.render(seti)


retrieve("setup_intent", "/v1/setup_intents/{id}", {"client_secret": SCALAR})


@route(
    "POST",
    "/v1/setup_intents/{id}/confirm",
    {
        "payment_method": SCALAR,
        "return_url": SCALAR,
        "use_stripe_sdk": SCALAR,
        "client_secret": SCALAR,  # sent by Stripe.js with a publishable key
    },
)
def setup_intent_confirm(ctx: Context, params: dict[str, Any], id: str):
    seti = ctx.get("setup_intent", id)
    _confirm(ctx, seti, get_str(params, "payment_method"))
    return ctx.render(seti)


def _where(ctx: Context, params: dict[str, Any], objs: list[dict[str, Any]]):
    if params.get("customer"):
        objs = [s for s in objs if s["customer"] == params["customer"]]
    return objs


listing("setup_intent", "/v1/setup_intents", PAGE | {"customer": SCALAR}, _where)


def authenticate_setup_intent(ctx: Context, seti: dict[str, Any], succeed: bool) -> None:
    """Finish a requires_action setup as Stripe.js would after the 3DS challenge."""
    if seti["status"] != "requires_action":
        raise invalid(
            f"This SetupIntent is {seti['status']}, not requires_action.",
            code="setup_intent_unexpected_state",
        )
    pm = ctx.state.find("payment_method", seti["payment_method"])
    if succeed:
        _succeed(ctx, seti, pm)
        return
    err = card_error(
        "We are unable to authenticate your payment method. Please choose a different payment "
        "method and try again.",
        code="setup_intent_authentication_failure",
    )
    seti.update(
        status="requires_payment_method",
        next_action=None,
        last_setup_error=error_detail(err, pm, ctx.state),
    )
    ctx.emit("setup_intent.setup_failed", seti)
