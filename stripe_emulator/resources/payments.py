"""Payment intents, charges and invoices, as subscriptions create and pay them."""

from __future__ import annotations

import secrets
from typing import Any

from stripe_emulator.errors import StripeError, card_error, invalid
from stripe_emulator.params import SCALAR, get_bool, get_str
from stripe_emulator.store import State, list_object, new_id, paginate, strip

from .base import Context, route
from .cards import GENERIC, card_for
from .payment_methods import decline_error, resolve_attached

PI_NEXT_ACTION_KEYS = [
    "alipay_handle_redirect",
    "blik_authorize",
    "boleto_display_details",
    "card_await_notification",
    "cashapp_handle_redirect_or_display_qr_code",
    "display_bank_transfer_instructions",
    "klarna_display_qr_code",
    "konbini_display_details",
    "multibanco_display_details",
    "oxxo_display_details",
    "paynow_display_qr_code",
    "pix_display_qr_code",
    "promptpay_display_qr_code",
    "redirect_to_url",
    "swish_handle_redirect_or_display_qr_code",
    "upi_handle_redirect_or_display_qr_code",
    "verify_with_microdeposits",
    "wechat_pay_display_qr_code",
    "wechat_pay_redirect_to_android_app",
    "wechat_pay_redirect_to_ios_app",
]

CHARGE_PMD_KEYS = [
    "ach_credit_transfer",
    "ach_debit",
    "acss_debit",
    "affirm",
    "afterpay_clearpay",
    "alipay",
    "alma",
    "amazon_pay",
    "au_becs_debit",
    "bacs_debit",
    "bancontact",
    "billie",
    "bizum",
    "blik",
    "boleto",
    "card_present",
    "cashapp",
    "crypto",
    "customer_balance",
    "eps",
    "fpx",
    "giropay",
    "grabpay",
    "ideal",
    "interac_present",
    "kakao_pay",
    "klarna",
    "konbini",
    "kr_card",
    "link",
    "mb_way",
    "mobilepay",
    "multibanco",
    "naver_pay",
    "nz_bank_account",
    "oxxo",
    "p24",
    "pay_by_bank",
    "payco",
    "paynow",
    "paypal",
    "paypay",
    "payto",
    "pix",
    "promptpay",
    "revolut_pay",
    "samsung_pay",
    "satispay",
    "scalapay",
    "sepa_credit_transfer",
    "sepa_debit",
    "sequra",
    "sofort",
    "stripe_account",
    "sunbit",
    "swish",
    "twint",
    "upi",
    "us_bank_account",
    "wechat",
    "wechat_pay",
    "zip",
]


REQUIRES_ACTION_MESSAGE = (
    "This payment requires additional user action before it can be completed successfully. "
    "Payment can be completed using the PaymentIntent associated with the invoice."
)


def next_action_3ds(pi_id: str) -> dict[str, Any]:
    action: dict[str, Any] = dict.fromkeys(PI_NEXT_ACTION_KEYS)
    action["type"] = "use_stripe_sdk"
    action["use_stripe_sdk"] = {
        "type": "three_d_secure_redirect",
        "stripe_js": f"https://hooks.stripe.com/redirect/authenticate/{pi_id}",
        "source": new_id("src"),
    }
    return action


def error_detail(err: StripeError, pm: dict[str, Any] | None, state: State) -> dict[str, Any]:
    """last_payment_error / last_setup_error: the error hash plus the payment method."""
    return {
        "advice_code": None,
        "charge": err.extra.get("charge"),
        "code": err.code,
        "decline_code": err.decline_code,
        "doc_url": f"https://stripe.com/docs/error-codes/{(err.code or '').replace('_', '-')}",
        "message": err.message,
        "network_advice_code": None,
        "network_decline_code": None,
        "param": err.param,
        "payment_intent": None,
        "payment_method": state.render(pm) if pm else None,
        "payment_method_type": "card" if pm else None,
        "request_log_url": None,
        "setup_intent": None,
        "source": None,
        "type": err.type,
    }


# -- payment intents -----------------------------------------------------------


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
    pi = {
        "id": pi_id,
        "object": "payment_intent",
        "allowed_payment_method_types": None,
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": None,
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic",
        "client_secret": f"{pi_id}_secret_{secrets.token_urlsafe(18)}",
        "confirmation_method": "automatic",
        "created": ctx.now(customer),
        "currency": currency,
        "customer": customer["id"],
        "customer_account": None,
        "description": description,
        "excluded_payment_method_types": None,
        "hooks": None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "managed_payments": None,
        "metadata": {},
        "next_action": None,
        "on_behalf_of": None,
        "payment_details": None,
        "payment_method": pm["id"] if pm else None,
        "payment_method_configuration_details": None,
        "payment_method_options": None,
        "payment_method_types": ["card"],
        "payment_record": None,
        "presentment_details": None,
        "processing": None,
        "receipt_email": None,
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "requires_confirmation" if pm else "requires_payment_method",
        "transfer_data": None,
        "transfer_group": None,
    }
    ctx.insert(pi)
    ctx.emit("payment_intent.created", pi)
    return pi


def charge_object(ctx: Context, pi: dict[str, Any], pm: dict[str, Any], ok: bool, err=None):
    card = card_for(pm)
    pm_card = pm["card"]
    details_card = {
        "amount_authorized": pi["amount"] if ok else None,
        "authorization_code": None,
        "brand": pm_card["brand"],
        "capture_before": None,
        "checks": dict(pm_card["checks"]),
        "country": pm_card["country"],
        "description": None,
        "electronic_commerce_indicator": None,
        "exp_month": pm_card["exp_month"],
        "exp_year": pm_card["exp_year"],
        "extended_authorization": None,
        "fingerprint": card.fingerprint,
        "funding": pm_card["funding"],
        "iin": None,
        "incremental_authorization": None,
        "installments": None,
        "issuer": None,
        "last4": pm_card["last4"],
        "mandate": None,
        "moto": None,
        "multicapture": None,
        "network": pm_card["brand"],
        "network_token": None,
        "network_transaction_id": None,
        "overcapture": None,
        "regulated_status": "unregulated",
        "setup_credential_usage": None,
        "stored_credential_usage": None,
        "three_d_secure": None,
        "transaction_link_id": None,
        "wallet": None,
    }
    details: dict[str, Any] = dict.fromkeys(CHARGE_PMD_KEYS)
    details.update({"card": details_card, "type": "card"})
    charge_id = new_id("ch")
    return {
        "id": charge_id,
        "object": "charge",
        "amount": pi["amount"],
        "amount_captured": pi["amount"] if ok else 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "authorization_code": None,
        "balance_transaction": new_id("txn") if ok else None,
        "billing_details": strip(pm["billing_details"]),
        "calculated_statement_descriptor": "EMULATOR",
        "captured": ok,
        "created": ctx.now(pi["customer"]),
        "currency": pi["currency"],
        "customer": pi["customer"],
        "description": pi["description"],
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None if ok else err.code,
        "failure_message": None if ok else err.message,
        "fraud_details": {"stripe_report": None, "user_report": None},
        "level3": None,
        "livemode": False,
        "metadata": {},
        "on_behalf_of": None,
        "outcome": {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "approved_by_network" if ok else "declined_by_network",
            "reason": None if ok else err.decline_code,
            "risk_level": "normal",
            "risk_score": 20,
            "rule": None,
            "seller_message": "Payment complete."
            if ok
            else "The bank did not return any further details with this decline.",
            "type": "authorized" if ok else "issuer_declined",
        },
        "paid": ok,
        "payment_intent": pi["id"],
        "payment_method": pm["id"],
        "payment_method_details": details,
        "presentment_details": None,
        "radar_options": None,
        "receipt_email": None,
        "receipt_number": None,
        "receipt_url": f"https://pay.stripe.com/receipts/payment/{charge_id}",
        "refunded": False,
        "refunds": list_object([], f"/v1/charges/{charge_id}/refunds"),
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "succeeded" if ok else "failed",
        "transfer": None,
        "transfer_data": None,
        "transfer_group": None,
    }


def charge_outcome(pm: dict[str, Any]) -> tuple[str, StripeError | None]:
    """What charging this payment method does: succeeded, declined or requires_action."""
    card = card_for(pm)
    behaviour = card.behaviour
    if behaviour == "ok" or (behaviour == "auth_on_setup" and pm.get("_setup_done")):
        return "succeeded", None
    if behaviour in ("auth_always", "auth_on_setup"):
        return "requires_action", None
    if behaviour == "charge_fail":
        code, decline_code, message, param = GENERIC
        return "declined", card_error(message, code=code, decline_code=decline_code, param=param)
    return "declined", decline_error(card)


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


@route("GET", "/v1/payment_intents/{id}", {"client_secret": SCALAR})
def payment_intent_retrieve(ctx: Context, params: dict[str, Any], id: str):
    return ctx.render(ctx.get("payment_intent", id))


@route(
    "GET",
    "/v1/payment_intents",
    {"limit": SCALAR, "starting_after": SCALAR, "ending_before": SCALAR, "customer": SCALAR},
)
def payment_intent_list(ctx: Context, params: dict[str, Any]):
    objs = ctx.state.all("payment_intent")
    if params.get("customer"):
        objs = [p for p in objs if p["customer"] == params["customer"]]
    return paginate(ctx.state, objs, params, "/v1/payment_intents", "payment_intent")


@route(
    "POST",
    "/v1/payment_intents/{id}/confirm",
    {"payment_method": SCALAR, "off_session": SCALAR, "return_url": SCALAR},
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
    pm = resolve_attached(ctx, pm_id, customer, param="payment_method")
    invoice = next((i for i in ctx.state.all("invoice") if i.get("_pi") == pi["id"]), None)
    if invoice is not None:
        status, err = invoice_attempt(ctx, invoice, pm)
        settle_subscription(ctx, invoice, status)
    else:
        status, err = pi_confirm(ctx, pi, pm)
    if err is not None:
        raise err
    return ctx.render(pi)


@route("GET", "/v1/charges/{id}")
def charge_retrieve(ctx: Context, params: dict[str, Any], id: str):
    return ctx.render(ctx.get("charge", id))


# -- invoices ------------------------------------------------------------------


def line_item(
    *,
    invoice_id: str,
    sub: dict[str, Any],
    item_id: str,
    price: dict[str, Any],
    quantity: int,
    amount: int,
    description: str,
    start: int,
    end: int,
    proration: bool = False,
) -> dict[str, Any]:
    return {
        "id": new_id("il"),
        "object": "line_item",
        "amount": amount,
        "currency": price["currency"],
        "description": description,
        "discount_amounts": [],
        "discountable": not proration,
        "discounts": [],
        "invoice": invoice_id,
        "livemode": False,
        "metadata": {},
        "parent": {
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": None,
                "proration": proration,
                "proration_details": {"credited_items": None},
                "subscription": sub["id"],
                "subscription_item": item_id,
            },
            "type": "subscription_item_details",
        },
        "period": {"end": end, "start": start},
        "pretax_credit_amounts": [],
        "pricing": {
            "price_details": {"price": price["id"], "product": price["product"]},
            "type": "price_details",
            "unit_amount_decimal": price["unit_amount_decimal"],
        },
        "quantity": quantity,
        "quantity_decimal": str(quantity),
        "subscription": sub["id"],
        "subtotal": amount,
        "taxes": [],
    }


def invoice_create(
    ctx: Context,
    *,
    sub: dict[str, Any],
    customer: dict[str, Any],
    reason: str,
    lines: list[dict[str, Any]],
    period_start: int,
    period_end: int,
    invoice_id: str | None = None,
) -> dict[str, Any]:
    """A draft invoice for a subscription; `lines` are built by line_item()."""
    now = ctx.now(customer)
    invoice_id = invoice_id or new_id("in")
    for line in lines:
        line["invoice"] = invoice_id
    total = sum(line["amount"] for line in lines)
    address = customer.get("address")
    invoice = {
        "id": invoice_id,
        "object": "invoice",
        "account_country": "US",
        "account_name": "Stripe emulator",
        "account_tax_ids": None,
        "amount_due": max(total, 0),
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_paid_off_stripe": 0,
        "amount_remaining": max(total, 0),
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": True,
        "automatic_tax": {
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        "automatically_finalizes_at": None,
        "billing_reason": reason,
        "collection_method": "charge_automatically",
        "confirmation_secret": None,
        "created": now,
        "currency": sub["currency"],
        "custom_fields": None,
        "customer": customer["id"],
        "customer_account": None,
        "customer_address": dict(address) if address else None,
        "customer_email": customer.get("email"),
        "customer_name": customer.get("name"),
        "customer_phone": customer.get("phone"),
        "customer_shipping": None,
        "customer_tax_exempt": customer.get("tax_exempt", "none"),
        "customer_tax_ids": [],
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "due_date": None,
        "effective_at": None,
        "ending_balance": None,
        "footer": None,
        "from_invoice": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "issuer": {"account": None, "type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": list_object(lines, f"/v1/invoices/{invoice_id}/lines"),
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": None,
        "number": None,
        "on_behalf_of": None,
        "parent": {
            "quote_details": None,
            "subscription_details": {
                "metadata": dict(sub["metadata"]),
                "subscription": sub["id"],
                "subscription_proration_date": None,
            },
            "type": "subscription_details",
        },
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "payments": list_object([], f"/v1/invoice_payments?invoice={invoice_id}"),
        "period_end": period_end,
        "period_start": period_start,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": customer.get("balance") or 0,
        "statement_descriptor": None,
        "status": "draft",
        "status_details": None,
        "status_transitions": {
            "finalized_at": None,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "subtotal": total,
        "subtotal_excluding_tax": total,
        "test_clock": customer.get("test_clock"),
        "threshold_reason": None,
        "total": total,
        "total_discount_amounts": [],
        "total_excluding_tax": total,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": None,
        "_pi": None,
    }
    ctx.insert(invoice)
    ctx.emit("invoice.created", invoice)
    return invoice


def invoice_finalize(ctx: Context, invoice: dict[str, Any]) -> None:
    """draft -> open: number, hosted URL, customer balance applied; 0 due -> paid."""
    customer = ctx.state.find("customer", invoice["customer"])
    now = ctx.now(customer)
    before_customer = ctx.render(customer)
    balance = customer.get("balance") or 0
    total = invoice["total"]
    applied = min(-balance, total) if balance < 0 and total > 0 else 0
    if total < 0:
        ending = balance + total
        due = 0
    else:
        ending = balance + applied
        due = total - applied
    customer["balance"] = ending
    sequence = customer["next_invoice_sequence"]
    customer["next_invoice_sequence"] = sequence + 1
    token = secrets.token_urlsafe(24)
    invoice.update(
        status="open",
        number=f"{customer['invoice_prefix']}-{sequence:04d}",
        amount_due=due,
        amount_remaining=due,
        starting_balance=balance,
        ending_balance=ending,
        effective_at=now,
        hosted_invoice_url=f"https://invoice.stripe.com/i/acct_emulator/test_{token}",
        invoice_pdf=f"https://pay.stripe.com/invoice/acct_emulator/test_{token}/pdf",
        webhooks_delivered_at=now,
    )
    invoice["status_transitions"]["finalized_at"] = now
    if ending != balance:
        ctx.emit("customer.updated", customer, before_customer)
    ctx.emit("invoice.finalized", invoice)
    if due == 0:
        invoice_mark_paid(ctx, invoice)


def invoice_mark_paid(ctx: Context, invoice: dict[str, Any]) -> None:
    now = ctx.now(invoice["customer"])
    invoice.update(
        status="paid",
        amount_paid=invoice["amount_due"],
        amount_remaining=0,
        next_payment_attempt=None,
        confirmation_secret=None,
    )
    invoice["status_transitions"]["paid_at"] = now
    for payment in invoice["payments"]["data"]:
        if payment["status"] == "open":
            payment["status"] = "paid"
            payment["amount_paid"] = payment["amount_requested"]
            payment["status_transitions"]["paid_at"] = now
            ctx.emit("invoice_payment.paid", payment)
    ctx.emit("invoice.paid", invoice)
    ctx.emit("invoice.payment_succeeded", invoice)


def invoice_payment_intent(ctx: Context, invoice: dict[str, Any], pm: dict[str, Any] | None):
    """The invoice's default payment (a PaymentIntent), made at the first attempt."""
    if invoice["_pi"]:
        return ctx.state.find("payment_intent", invoice["_pi"])
    customer = ctx.state.find("customer", invoice["customer"])
    reason = invoice["billing_reason"]
    pi = pi_create(
        ctx,
        amount=invoice["amount_due"],
        currency=invoice["currency"],
        customer=customer,
        pm=pm,
        description="Subscription creation"
        if reason == "subscription_create"
        else "Subscription update",
    )
    invoice["_pi"] = pi["id"]
    invoice["confirmation_secret"] = {
        "client_secret": pi["client_secret"],
        "type": "payment_intent",
    }
    now = ctx.now(customer)
    invoice["payments"]["data"].append(
        {
            "id": new_id("inpay"),
            "object": "invoice_payment",
            "amount_paid": None,
            "amount_requested": invoice["amount_due"],
            "created": now,
            "currency": invoice["currency"],
            "invoice": invoice["id"],
            "is_default": True,
            "livemode": False,
            "payment": {
                "charge": None,
                "payment_intent": pi["id"],
                "payment_record": None,
                "type": "payment_intent",
            },
            "status": "open",
            "status_transitions": {"canceled_at": None, "paid_at": None},
        }
    )
    return pi


def invoice_attempt(
    ctx: Context, invoice: dict[str, Any], pm: dict[str, Any] | None
) -> tuple[str, StripeError | None]:
    """Charge an open invoice: (succeeded|declined|requires_action|no_payment_method, error)."""
    if invoice["status"] != "open":
        raise invalid(f"Invoice is already {invoice['status']}.", code="invoice_not_editable")
    if invoice["amount_due"] == 0:
        invoice_mark_paid(ctx, invoice)
        return "succeeded", None
    before = ctx.render(invoice)
    pi = invoice_payment_intent(ctx, invoice, pm)
    invoice["attempted"] = True
    invoice["attempt_count"] += 1
    if pm is None:
        err = invalid(
            "This customer has no attached payment source or default payment method. Please "
            "consider adding a default payment method.",
            code="resource_missing",
        )
        _schedule_retry(ctx, invoice)
        ctx.emit("invoice.payment_failed", invoice)
        ctx.emit("invoice.updated", invoice, before)
        return "no_payment_method", err
    status, err = pi_confirm(ctx, pi, pm)
    if status == "succeeded":
        invoice_mark_paid(ctx, invoice)
        ctx.emit("invoice.updated", invoice, before)
        return status, None
    _schedule_retry(ctx, invoice)
    if status == "requires_action":
        ctx.emit("invoice.payment_action_required", invoice)
        ctx.emit("invoice.updated", invoice, before)
        err = card_error(
            REQUIRES_ACTION_MESSAGE,
            code="invoice_payment_intent_requires_action",
            payment_intent=ctx.render(pi),
        )
        return status, err
    ctx.emit("invoice.payment_failed", invoice)
    ctx.emit("invoice.updated", invoice, before)
    return status, err


def _schedule_retry(ctx: Context, invoice: dict[str, Any]) -> None:
    """next_payment_attempt after a failed attempt, from the retry schedule (scheduler.py)."""
    retry_at = ctx.state.hooks.get("retry_at")
    invoice["next_payment_attempt"] = retry_at(ctx, invoice) if retry_at else None


def settle_subscription(ctx: Context, invoice: dict[str, Any], status: str) -> None:
    """After a payment attempt, move the invoice's subscription as Stripe does."""
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") or {}
    sub = ctx.state.find("subscription", details.get("subscription", ""))
    if sub is None or sub["latest_invoice"] != invoice["id"]:
        return
    before = ctx.render(sub)
    paused = sub["status"] == "paused"
    if status == "succeeded":
        if sub["status"] in ("incomplete", "past_due", "unpaid", "paused"):
            sub["status"] = "active"
    else:
        resumes_on_attempt = sub.get("_resume_behavior") == "resume_on_payment_attempt"
        if sub["status"] == "active" or (paused and resumes_on_attempt):
            sub["status"] = "past_due"
    if paused and sub["status"] != "paused":
        sub["status_details"] = None
        sub.pop("_resume_behavior", None)
        ctx.emit("customer.subscription.resumed", sub)
    ctx.emit("customer.subscription.updated", sub, before)


def invoice_payment_method(ctx: Context, invoice: dict[str, Any]) -> dict[str, Any] | None:
    """Stripe's order: subscription default, then customer invoice default."""
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") or {}
    sub = ctx.state.find("subscription", details.get("subscription", ""))
    customer = ctx.state.find("customer", invoice["customer"])
    for pm_id in (
        invoice.get("default_payment_method"),
        sub and sub.get("default_payment_method"),
        customer["invoice_settings"]["default_payment_method"],
    ):
        if pm_id:
            pm = ctx.state.find("payment_method", pm_id)
            if pm is not None and pm["customer"] == customer["id"]:
                return pm
    return None


def render_invoice(state: State, invoice: dict[str, Any]) -> dict[str, Any]:
    return strip(invoice)


@route("GET", "/v1/invoices/{id}")
def invoice_retrieve(ctx: Context, params: dict[str, Any], id: str):
    return ctx.render(ctx.get("invoice", id))


@route(
    "GET",
    "/v1/invoices/{id}/lines",
    {"limit": SCALAR, "starting_after": SCALAR, "ending_before": SCALAR},
)
def invoice_lines(ctx: Context, params: dict[str, Any], id: str):
    invoice = ctx.get("invoice", id)
    lines = [dict(line, _seq=i) for i, line in enumerate(invoice["lines"]["data"])]
    return paginate(ctx.state, lines, params, f"/v1/invoices/{id}/lines", "line_item")


@route(
    "GET",
    "/v1/invoices",
    {
        "limit": SCALAR,
        "starting_after": SCALAR,
        "ending_before": SCALAR,
        "customer": SCALAR,
        "subscription": SCALAR,
        "status": SCALAR,
        "collection_method": SCALAR,
        "created": "any",
    },
)
def invoice_list(ctx: Context, params: dict[str, Any]):
    objs = ctx.state.all("invoice")
    customer = get_str(params, "customer")
    subscription = get_str(params, "subscription")
    if customer:
        objs = [i for i in objs if i["customer"] == customer]
    if subscription:
        objs = [
            i
            for i in objs
            if ((i["parent"] or {}).get("subscription_details") or {}).get("subscription")
            == subscription
        ]
    if not (customer or subscription):
        objs = [i for i in objs if not i["test_clock"]]
    status = get_str(params, "status")
    if status:
        objs = [i for i in objs if i["status"] == status]
    return paginate(ctx.state, objs, params, "/v1/invoices", "invoice")


@route(
    "POST",
    "/v1/invoices/{id}/pay",
    {
        "payment_method": SCALAR,
        "off_session": SCALAR,
        "paid_out_of_band": SCALAR,
        "forgive": SCALAR,
        "source": SCALAR,
        "mandate": SCALAR,
    },
)
def invoice_pay(ctx: Context, params: dict[str, Any], id: str):
    invoice = ctx.get("invoice", id)
    if invoice["status"] == "paid":
        raise invalid("Invoice is already paid.")
    if invoice["status"] != "open":
        raise invalid(
            f"You can only pay an open invoice. This invoice is {invoice['status']}.",
            code="invoice_not_editable" if invoice["status"] == "draft" else None,
        )
    customer = ctx.state.find("customer", invoice["customer"])
    if get_bool(params, "paid_out_of_band"):
        before = ctx.render(invoice)
        invoice["amount_paid_off_stripe"] = invoice["amount_remaining"]
        invoice_mark_paid(ctx, invoice)
        ctx.emit("invoice.updated", invoice, before)
        settle_subscription(ctx, invoice, "succeeded")
        return ctx.render(invoice)
    pm_id = get_str(params, "payment_method")
    if pm_id:
        pm = resolve_attached(ctx, pm_id, customer, param="payment_method")
    else:
        pm = invoice_payment_method(ctx, invoice)
    status, err = invoice_attempt(ctx, invoice, pm)
    settle_subscription(ctx, invoice, status)
    if err is not None:
        if status == "no_payment_method":
            raise err
        raise err
    return ctx.render(invoice)


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
    invoice = next((i for i in ctx.state.all("invoice") if i.get("_pi") == pi["id"]), None)
    if invoice is None or invoice["status"] != "open":
        return
    before = ctx.render(invoice)
    if status == "succeeded":
        invoice_mark_paid(ctx, invoice)
    else:
        ctx.emit("invoice.payment_failed", invoice)
    ctx.emit("invoice.updated", invoice, before)
    settle_subscription(ctx, invoice, status)
