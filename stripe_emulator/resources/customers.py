"""Customers."""

from __future__ import annotations

import secrets
from typing import Any

from stripe_emulator.errors import invalid
from stripe_emulator.lifecycle.cancellation import cancel_now
from stripe_emulator.params import (
    EMAIL,
    MAP,
    SCALAR,
    Enum,
    Int,
    ListOf,
    Str,
    get_email,
    get_enum,
    get_int,
    get_metadata,
    get_str,
)
from stripe_emulator.store import State, list_object, new_id, strip
from stripe_emulator.tax import CUSTOMER_TAX

from .base import PAGE, Context, listing, route
from .common import ADDRESS_SCHEMA, address
from .payment_methods import attach, check_attachable, resolve_attached
from .skeletons import fill
from .tax_ids import TAX_ID_DATA, apply_customer_tax, check_customer_tax, tax_id_list

INVOICE_SETTINGS_SCHEMA = {
    "default_payment_method": SCALAR,
    "custom_fields": ListOf({"name": Str(40), "value": Str(140)}),
    "footer": SCALAR,
    "rendering_options": {
        "amount_tax_display": Enum("exclude_tax", "include_inclusive_tax"),
        "template": SCALAR,
    },
}
TAX_EXEMPT = ("exempt", "none", "reverse")
SHIPPING_SCHEMA = {"address": ADDRESS_SCHEMA, "name": SCALAR, "phone": SCALAR}
UPDATE_SCHEMA = {
    "email": EMAIL,
    "name": SCALAR,
    "description": Str(350),
    "phone": SCALAR,
    "metadata": MAP,
    "address": ADDRESS_SCHEMA,
    "shipping": SHIPPING_SCHEMA,
    "preferred_locales": ListOf(SCALAR),
    "invoice_settings": INVOICE_SETTINGS_SCHEMA,
    "tax_exempt": Enum(*TAX_EXEMPT),
    "balance": Int(),
    "tax": CUSTOMER_TAX,
}
CREATE_SCHEMA = UPDATE_SCHEMA | {"payment_method": SCALAR, "test_clock": SCALAR}
CREATE_SCHEMA["tax_id_data"] = TAX_ID_DATA


def render_customer(state: State, customer: dict[str, Any]) -> dict[str, Any]:
    if customer.get("_deleted"):
        return {"id": customer["id"], "object": "customer", "deleted": True}
    body = strip(customer)
    subs = [
        s
        for s in state.table("subscription").values()
        if s["customer"] == customer["id"] and s["status"] not in ("canceled", "incomplete_expired")
    ]
    subs.sort(key=lambda s: (s["created"], s["_seq"]), reverse=True)
    cid = customer["id"]
    body["subscriptions"] = list_object(
        [state.render(s) for s in subs[:10]], f"/v1/customers/{cid}/subscriptions", len(subs) > 10
    )
    body["sources"] = list_object([], f"/v1/customers/{cid}/sources")
    body["tax_ids"] = tax_id_list(state, cid)
    return body


def _apply(ctx: Context, customer: dict[str, Any], params: dict[str, Any]) -> None:
    metadata = get_metadata(params, customer["metadata"])
    if "email" in params:
        customer["email"] = get_email(params) or None
    for key in ("name", "description", "phone"):
        if key in params:
            customer[key] = get_str(params, key) or None
    if params.get("balance") not in (None, ""):
        customer["balance"] = get_int(params, "balance")
    if "address" in params:
        customer["address"] = address(params["address"]) if params["address"] else None
    if "shipping" in params:
        ship = params["shipping"]
        customer["shipping"] = (
            {
                "address": address(ship.get("address")),
                "carrier": None,
                "name": ship.get("name"),
                "phone": ship.get("phone"),
                "tracking_number": None,
            }
            if ship
            else None
        )
    if "preferred_locales" in params:
        customer["preferred_locales"] = list(params["preferred_locales"] or [])
    if "tax_exempt" in params:
        customer["tax_exempt"] = get_enum(params, "tax_exempt", TAX_EXEMPT) or "none"
    customer["metadata"] = metadata
    settings = params.get("invoice_settings")
    if settings:
        target = customer["invoice_settings"]
        if "footer" in settings:
            target["footer"] = settings["footer"] or None
        if "custom_fields" in settings:
            target["custom_fields"] = settings["custom_fields"] or None
        if "rendering_options" in settings:
            opts = settings["rendering_options"] or {}
            target["rendering_options"] = {
                "amount_tax_display": opts.get("amount_tax_display"),
                "template": opts.get("template"),
            }
        if "default_payment_method" in settings:
            pm_id = settings["default_payment_method"]
            target["default_payment_method"] = (
                resolve_attached(
                    ctx, pm_id, customer, param="invoice_settings[default_payment_method]"
                )["id"]
                if pm_id
                else None
            )


@route("POST", "/v1/customers", CREATE_SCHEMA)
def customer_create(ctx: Context, params: dict[str, Any]):
    get_metadata(params)  # the count, before the customer exists
    clock_id = get_str(params, "test_clock")
    if clock_id:
        ctx.get("test_helpers.test_clock", clock_id, param="test_clock", status=400)
    # Validate the card before anything exists, so a refused card creates no customer.
    pm_id = get_str(params, "payment_method")
    if pm_id:
        check_attachable(ctx, pm_id)
    tax_ids = check_customer_tax(ctx, None, params)
    default = (params.get("invoice_settings") or {}).get("default_payment_method")
    if default and default != pm_id:
        raise invalid(
            f"The customer does not have a payment method with the ID {default}. The payment "
            "method must be attached to the customer.",
            param="invoice_settings[default_payment_method]",
            code="resource_missing",
        )
    customer = fill(
        "customer",
        {
            "id": new_id("cus", 14),
            "invoice_prefix": secrets.token_hex(4).upper(),
            "test_clock": clock_id or None,
        },
    )
    customer["created"] = ctx.now(customer)
    ctx.insert(customer)
    deferred = dict(params)
    if pm_id:
        attach(ctx, pm_id, customer, param="payment_method")
    _apply(ctx, customer, deferred)
    ctx.emit("customer.created", customer)
    apply_customer_tax(ctx, customer, params, tax_ids)
    return ctx.render(customer)


@route("GET", "/v1/customers/{id}")
def customer_retrieve(ctx: Context, params: dict[str, Any], id: str):
    customer = ctx.state.find("customer", id)
    if customer is None:
        ctx.get("customer", id)
    return ctx.render(customer)


@route("POST", "/v1/customers/{id}", UPDATE_SCHEMA)
def customer_update(ctx: Context, params: dict[str, Any], id: str):
    customer = ctx.get("customer", id)
    before = ctx.render(customer)
    check_customer_tax(ctx, customer, params)
    _apply(ctx, customer, params)
    apply_customer_tax(ctx, customer, params)
    ctx.emit("customer.updated", customer, before)
    return ctx.render(customer)


@route("DELETE", "/v1/customers/{id}")
def customer_delete(ctx: Context, params: dict[str, Any], id: str):
    customer = ctx.get("customer", id)
    delete_customer(ctx, customer)
    return {"id": id, "object": "customer", "deleted": True}


def delete_customer(ctx: Context, customer: dict[str, Any]) -> None:
    """Deleting a customer cancels its live subscriptions at once."""
    for sub in ctx.state.all("subscription"):
        if sub["customer"] == customer["id"] and sub["status"] not in (
            "canceled",
            "incomplete_expired",
        ):
            cancel_now(ctx, sub, reason="cancellation_requested")
    ctx.emit("customer.deleted", customer)
    customer["_deleted"] = True


def _where(ctx: Context, params: dict[str, Any], objs: list[dict[str, Any]]):
    email = get_str(params, "email")
    if email is not None:
        if len(email) > 512:
            raise invalid("Invalid email: too long", param="email")
        objs = [c for c in objs if c["email"] == email]
    clock_id = get_str(params, "test_clock")
    return [c for c in objs if c["test_clock"] == (clock_id or None)]


listing(
    "customer",
    "/v1/customers",
    PAGE | {"email": SCALAR, "test_clock": SCALAR, "created": "any"},
    _where,
)
