"""Products."""

from __future__ import annotations

from typing import Any

from stripe_emulator.errors import invalid
from stripe_emulator.params import (
    MAP,
    SCALAR,
    ListOf,
    get_bool,
    get_metadata,
    get_str,
)
from stripe_emulator.store import new_id
from stripe_emulator.validation import check_statement_descriptor

from .base import PAGE, Context, listing, retrieve, route
from .skeletons import fill

PRODUCT_SCHEMA = {
    "name": SCALAR,
    "active": SCALAR,
    "description": SCALAR,
    "metadata": MAP,
    "id": SCALAR,
    "images": ListOf(SCALAR),
    "url": SCALAR,
    "statement_descriptor": SCALAR,
    "unit_label": SCALAR,
    "tax_code": SCALAR,
    "shippable": SCALAR,
    "default_price_data": {
        "currency": SCALAR,
        "unit_amount": SCALAR,
        "recurring": {"interval": SCALAR, "interval_count": SCALAR},
        "metadata": MAP,
        "tax_behavior": SCALAR,
    },
}


def product_object(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    now = ctx.now()
    name = get_str(params, "name", required=True)
    product_id = get_str(params, "id") or new_id("prod", 14)
    if ctx.state.find("product", product_id):
        raise invalid(
            f"Product already exists: {product_id}", param="id", code="resource_already_exists"
        )
    active = get_bool(params, "active")
    check_statement_descriptor(get_str(params, "statement_descriptor"))
    return fill(
        "product",
        {
            "id": product_id,
            "active": True if active is None else active,
            "created": now,
            "description": get_str(params, "description") or None,
            "images": list(params.get("images") or []),
            "metadata": get_metadata(params),
            "name": name,
            "shippable": get_bool(params, "shippable"),
            "statement_descriptor": get_str(params, "statement_descriptor") or None,
            "tax_code": get_str(params, "tax_code") or None,
            "unit_label": get_str(params, "unit_label") or None,
            "updated": now,
            "url": get_str(params, "url") or None,
        },
    )


@route("POST", "/v1/products", PRODUCT_SCHEMA)
def product_create(ctx: Context, params: dict[str, Any]):
    product = product_object(ctx, params)
    data = params.get("default_price_data")
    price = None
    if data:
        from .prices import price_object  # prices make products too (product_data)

        price = price_object(ctx, data, prefix="default_price_data", product=product)
    ctx.insert(product)
    ctx.emit("product.created", product)
    if price is not None:
        ctx.insert(price)
        ctx.emit("price.created", price)
        product["default_price"] = price["id"]
    return ctx.render(product)


retrieve("product", "/v1/products/{id}")


@route(
    "POST",
    "/v1/products/{id}",
    {k: v for k, v in PRODUCT_SCHEMA.items() if k not in ("id", "default_price_data")}
    | {"default_price": SCALAR},
)
def product_update(ctx: Context, params: dict[str, Any], id: str):
    product = ctx.get("product", id)
    before = ctx.render(product)
    check_statement_descriptor(get_str(params, "statement_descriptor"))
    metadata = get_metadata(params, product["metadata"])
    for key in ("name", "description", "statement_descriptor", "unit_label", "url", "tax_code"):
        if key in params:
            value = get_str(params, key)
            if key == "name" and not value:
                raise invalid("You must provide a name for the product.", param="name")
            product[key] = value or None
    if "active" in params:
        product["active"] = get_bool(params, "active")
    if "images" in params:
        product["images"] = list(params.get("images") or [])
    if "default_price" in params:
        price_id = get_str(params, "default_price")
        if price_id:
            price = ctx.get("price", price_id, param="default_price", status=400)
            if price["product"] != product["id"]:
                raise invalid(
                    "The default price must belong to this product.", param="default_price"
                )
        product["default_price"] = price_id or None
    product["metadata"] = metadata
    product["updated"] = ctx.now()
    ctx.emit("product.updated", product, before)
    return ctx.render(product)


@route("DELETE", "/v1/products/{id}")
def product_delete(ctx: Context, params: dict[str, Any], id: str):
    product = ctx.get("product", id)
    if any(p["product"] == id for p in ctx.state.all("price")):
        raise invalid(
            "This product cannot be deleted because it has one or more user-created prices."
        )
    ctx.emit("product.deleted", product)
    product["_deleted"] = True
    return {"id": id, "object": "product", "deleted": True}


def _where(ctx: Context, params: dict[str, Any], objs: list[dict[str, Any]]):
    active = get_bool(params, "active")
    if active is not None:
        objs = [p for p in objs if p["active"] == active]
    if params.get("ids"):
        objs = [p for p in objs if p["id"] in params["ids"]]
    return objs


listing(
    "product",
    "/v1/products",
    PAGE
    | {
        "active": SCALAR,
        "ids": ListOf(SCALAR),
        "url": SCALAR,
        "shippable": SCALAR,
        "created": "any",
    },
    _where,
)
