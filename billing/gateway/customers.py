"""Customers, their payment methods and setup intents."""

from __future__ import annotations

from typing import Any

from stripe.params import CustomerCreateParams

from accounts.emails import is_billing_email
from billing.gateway.client import EmailRefused, call, stripe_client, write_options


def customer_create(
    *, email: str, metadata: dict[str, str], idempotency_key: str, test_clock: str = ""
) -> Any:
    if not is_billing_email(email):  # Stripe would answer email_invalid: say so without a call
        raise EmailRefused(
            "This account's email address cannot be used for billing: change it to one with a "
            "full domain name, like name@example.com.",
            stripe_code="email_invalid",
            param="email",
        )
    params: CustomerCreateParams = {"email": email, "metadata": metadata}
    if test_clock:
        params["test_clock"] = test_clock
    return call(
        "customer.create",
        lambda: stripe_client().v1.customers.create(
            params=params,
            options=write_options(idempotency_key),
        ),
    )


def customer_delete(*, customer_id: str) -> Any:
    return call("customer.delete", lambda: stripe_client().v1.customers.delete(customer_id))


def payment_method_attach(*, payment_method_id: str, customer_id: str, idempotency_key: str) -> Any:
    return call(
        "payment_method.attach",
        lambda: stripe_client().v1.payment_methods.attach(
            payment_method_id,
            params={"customer": customer_id},
            options=write_options(idempotency_key),
        ),
    )


def payment_method_detach(*, payment_method_id: str, idempotency_key: str) -> Any:
    """Take a card off its customer (Stripe clears it as the customer's default too)."""
    return call(
        "payment_method.detach",
        lambda: stripe_client().v1.payment_methods.detach(
            payment_method_id, options=write_options(idempotency_key)
        ),
    )


def customer_set_default_payment_method(
    *, customer_id: str, payment_method_id: str, idempotency_key: str
) -> Any:
    return call(
        "customer.update",
        lambda: stripe_client().v1.customers.update(
            customer_id,
            params={"invoice_settings": {"default_payment_method": payment_method_id}},
            options=write_options(idempotency_key),
        ),
    )


def setup_intent_create(*, customer_id: str, idempotency_key: str) -> Any:
    return call(
        "setup_intent.create",
        lambda: stripe_client().v1.setup_intents.create(
            params={"customer": customer_id, "usage": "off_session"},
            options=write_options(idempotency_key),
        ),
    )
