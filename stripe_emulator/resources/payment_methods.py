"""Payment methods made from Stripe's test tokens."""

from __future__ import annotations

from typing import Any

from stripe_emulator.errors import StripeError, card_error, invalid, missing_param, no_such
from stripe_emulator.params import MAP, SCALAR, get_email, get_enum, get_metadata, get_str
from stripe_emulator.store import new_id, paginate

from .base import Context, route
from .cards import TEST_CARDS, TestCard, card_for
from .common import ADDRESS_SCHEMA, address
from .skeletons import fill

BILLING_DETAILS_SCHEMA = {
    "address": ADDRESS_SCHEMA,
    "email": SCALAR,
    "name": SCALAR,
    "phone": SCALAR,
}

_BY_NUMBER = {}
for _token, _card in TEST_CARDS.items():
    _BY_NUMBER.setdefault(_card.number, _token)


def pm_object(ctx: Context, token: str) -> dict[str, Any]:
    card: TestCard = TEST_CARDS[token]
    pm: dict[str, Any] = fill(
        "payment_method",
        {
            "id": new_id("pm"),
            "billing_details": {
                "address": address(),
                "email": None,
                "name": None,
                "phone": None,
                "tax_id": None,
            },
            "card": {
                "brand": card.brand,
                "checks": {
                    "address_line1_check": None,
                    "address_postal_code_check": None,
                    "cvc_check": "pass",
                },
                "country": card.country,
                "description": None,
                "display_brand": card.brand,
                "exp_month": 12,
                "exp_year": 2034,
                "fingerprint": card.fingerprint,
                "funding": card.funding,
                "generated_from": None,
                "iin": None,
                "issuer": None,
                "last4": card.last4,
                "networks": {"available": [card.brand], "preferred": None},
                "regulated_status": "unregulated",
                "three_d_secure_usage": {"supported": True},
                "wallet": None,
            },
            "created": ctx.now(),
            "_token": token,
            "_setup_done": False,
        },
    )
    return pm


def resolve(ctx: Context, pm_id: str, *, param: str = "payment_method") -> dict[str, Any]:
    """An existing payment method, or a fresh one made from a test token."""
    if pm_id in TEST_CARDS:
        return ctx.insert(pm_object(ctx, pm_id))
    pm = ctx.state.find("payment_method", pm_id)
    if pm is None:
        raise no_such("PaymentMethod", pm_id, param=param, status=400 if param != "id" else 404)
    return pm


def decline_error(card: TestCard, **extra: Any) -> StripeError:
    code, decline_code, message, param = card.decline
    return card_error(message, code=code, decline_code=decline_code, param=param, **extra)


def check_attachable(ctx: Context, pm_id: str, *, param: str = "payment_method") -> None:
    """Raise what attach() would raise for a new customer, changing nothing."""
    if pm_id in TEST_CARDS:
        card = TEST_CARDS[pm_id]
        if card.behaviour == "declined":
            raise decline_error(card)
        return
    pm = ctx.state.find("payment_method", pm_id)
    if pm is None:
        raise no_such("PaymentMethod", pm_id, param=param, status=400)
    if pm["customer"] is not None:
        raise invalid(
            "The payment method you provided has already been attached to a customer.",
            param=param,
        )
    if card_for(pm).behaviour == "declined":
        raise decline_error(card_for(pm))


def attach(ctx: Context, pm_id: str, customer: dict[str, Any], *, param: str = "payment_method"):
    if pm_id in TEST_CARDS and TEST_CARDS[pm_id].behaviour == "declined":
        raise decline_error(TEST_CARDS[pm_id])
    pm = resolve(ctx, pm_id, param=param)
    if pm["customer"] == customer["id"]:
        return pm
    if pm["customer"] is not None:
        raise invalid(
            "The payment method you provided has already been attached to a customer.",
            param=param,
        )
    card = card_for(pm)
    if card.behaviour == "declined":
        raise decline_error(card)
    before = ctx.render(pm)
    pm["customer"] = customer["id"]
    ctx.emit("payment_method.attached", pm, before)
    return pm


def resolve_attached(
    ctx: Context, pm_id: str, customer: dict[str, Any], *, param: str, peek: bool = False
) -> dict[str, Any]:
    """A payment method that must belong to `customer` (a test token attaches one).

    With peek=True nothing changes: a token not attached yet gives a transient
    payment method (not stored), so callers can validate before they act.
    """
    if pm_id in TEST_CARDS:
        for pm in ctx.state.all("payment_method"):
            if pm["customer"] == customer["id"] and pm["_token"] == pm_id:
                return pm
        if peek:
            check_attachable(ctx, pm_id, param=param)
            return pm_object(ctx, pm_id) | {"customer": customer["id"]}
        return attach(ctx, pm_id, customer, param=param)
    pm = ctx.state.find("payment_method", pm_id)
    if pm is None or pm["customer"] != customer["id"]:
        raise invalid(
            f"The customer does not have a payment method with the ID {pm_id}. The payment "
            "method must be attached to the customer.",
            param=param,
            code="resource_missing",
        )
    return pm


def subscription_payment_method(ctx: Context, sub: dict[str, Any]) -> dict[str, Any] | None:
    """What a subscription charges: its default payment method, else the customer's
    invoice default (Stripe's order), if it belongs to the customer."""
    customer = ctx.state.find("customer", sub["customer"])
    for pm_id in (
        sub["default_payment_method"],
        customer["invoice_settings"]["default_payment_method"],
    ):
        if pm_id:
            pm = ctx.state.find("payment_method", pm_id)
            if pm is not None and pm["customer"] == customer["id"]:
                return pm
    return None


@route(
    "POST",
    "/v1/payment_methods",
    {
        "type": SCALAR,
        "card": {
            "token": SCALAR,
            "number": SCALAR,
            "exp_month": SCALAR,
            "exp_year": SCALAR,
            "cvc": SCALAR,
        },
        "billing_details": BILLING_DETAILS_SCHEMA,
        "metadata": MAP,
        "customer": SCALAR,
        "payment_method": SCALAR,
    },
)
def payment_method_create(ctx: Context, params: dict[str, Any]):
    kind = get_str(params, "type", required=True)
    if kind != "card":
        raise invalid(f"The payment method type `{kind}` is not supported.", param="type")
    card = params.get("card") or {}
    token = None
    if card.get("token"):
        tok = card["token"]
        token = "pm_card_" + tok.removeprefix("tok_") if tok.startswith("tok_") else tok
        if token not in TEST_CARDS:
            raise no_such("token", tok, param="card[token]", status=400)
    elif card.get("number"):
        token = _BY_NUMBER.get(card["number"].replace(" ", ""))
        if token is None:
            raise card_error(
                "Your card number is incorrect.", code="incorrect_number", param="card[number]"
            )
    else:
        raise missing_param("card")
    _check(params)
    pm = ctx.insert(pm_object(ctx, token))
    for name in ("exp_month", "exp_year"):  # as typed in Stripe.js's card Element
        if str(card.get(name) or "").isdigit():
            pm["card"][name] = int(card[name])
    _apply(pm, params)
    ctx.emit("payment_method.created", pm)
    return ctx.render(pm)


def _check(params: dict[str, Any]) -> None:
    """https://docs.stripe.com/api/payment_methods/create#create_payment_method-billing_details"""
    get_email(params.get("billing_details") or {}, name="billing_details[email]")
    get_enum(params, "allow_redisplay", ("always", "limited", "unspecified"))


def _apply(pm: dict[str, Any], params: dict[str, Any]) -> None:
    _check(params)
    pm["metadata"] = get_metadata(params, pm["metadata"])
    details = params.get("billing_details")
    if details:
        target = pm["billing_details"]
        for key in ("email", "name", "phone"):
            if key in details:
                target[key] = details[key] or None
        if "address" in details:
            target["address"] = address(details["address"])


@route("GET", "/v1/payment_methods/{id}")
def payment_method_retrieve(ctx: Context, params: dict[str, Any], id: str):
    return ctx.render(resolve(ctx, id, param="id"))


@route(
    "POST",
    "/v1/payment_methods/{id}",
    {"metadata": MAP, "billing_details": BILLING_DETAILS_SCHEMA, "allow_redisplay": SCALAR},
)
def payment_method_update(ctx: Context, params: dict[str, Any], id: str):
    pm = ctx.get("payment_method", id)
    before = ctx.render(pm)
    _apply(pm, params)
    if params.get("allow_redisplay"):
        pm["allow_redisplay"] = params["allow_redisplay"]
    ctx.emit("payment_method.updated", pm, before)
    return ctx.render(pm)


@route("POST", "/v1/payment_methods/{id}/attach", {"customer": SCALAR})
def payment_method_attach(ctx: Context, params: dict[str, Any], id: str):
    customer_id = get_str(params, "customer", required=True)
    customer = ctx.get("customer", customer_id, param="customer", status=400)
    if id not in TEST_CARDS:
        ctx.get("payment_method", id)
    return ctx.render(attach(ctx, id, customer, param="payment_method"))


@route("POST", "/v1/payment_methods/{id}/detach")
def payment_method_detach(ctx: Context, params: dict[str, Any], id: str):
    pm = ctx.get("payment_method", id)
    if pm["customer"] is None:
        raise invalid(
            "The payment method you provided is not attached to a customer so detachment is "
            "impossible."
        )
    customer = ctx.state.find("customer", pm["customer"])
    if customer and customer["invoice_settings"]["default_payment_method"] == pm["id"]:
        before_customer = ctx.render(customer)
        customer["invoice_settings"]["default_payment_method"] = None
        ctx.emit("customer.updated", customer, before_customer)
    before = ctx.render(pm)
    pm["customer"] = None
    ctx.emit("payment_method.detached", pm, before)
    return ctx.render(pm)


LIST_SCHEMA = {
    "limit": SCALAR,
    "starting_after": SCALAR,
    "ending_before": SCALAR,
    "type": SCALAR,
    "customer": SCALAR,
    "allow_redisplay": SCALAR,
}


def _list(ctx: Context, params: dict[str, Any], customer_id: str | None, url: str):
    objs = ctx.state.all("payment_method")
    if customer_id:
        objs = [p for p in objs if p["customer"] == customer_id]
    kind = get_str(params, "type")
    if kind:
        objs = [p for p in objs if p["type"] == kind]
    return paginate(ctx.state, objs, params, url, "payment_method")


@route("GET", "/v1/payment_methods", LIST_SCHEMA)
def payment_method_list(ctx: Context, params: dict[str, Any]):
    customer_id = get_str(params, "customer")
    if customer_id:
        ctx.get("customer", customer_id, param="customer", status=400)
    return _list(ctx, params, customer_id, "/v1/payment_methods")


@route(
    "GET",
    "/v1/customers/{id}/payment_methods",
    {k: v for k, v in LIST_SCHEMA.items() if k != "customer"},
)
def customer_payment_method_list(ctx: Context, params: dict[str, Any], id: str):
    ctx.get("customer", id)
    return _list(ctx, params, id, f"/v1/customers/{id}/payment_methods")


@route("GET", "/v1/customers/{id}/payment_methods/{pm}")
def customer_payment_method_retrieve(ctx: Context, params: dict[str, Any], id: str, pm: str):
    ctx.get("customer", id)
    obj = ctx.get("payment_method", pm)
    if obj["customer"] != id:
        raise no_such("PaymentMethod", pm)
    return ctx.render(obj)
