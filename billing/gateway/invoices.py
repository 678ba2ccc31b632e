"""Invoices, with their payments, and refunds of those payments."""

from __future__ import annotations

from typing import Any

from stripe.params import InvoiceListParams

from billing.gateway.client import call, stripe_client, write_options


def invoice_list(*, customer_id: str, limit: int, starting_after: str = "") -> Any:
    params: InvoiceListParams = {"customer": customer_id, "limit": limit}
    if starting_after:
        params["starting_after"] = starting_after
    return call("invoice.list", lambda: stripe_client().v1.invoices.list(params=params))


def invoice_retrieve(*, invoice_id: str, expand: list[str] | None = None) -> Any:
    return call(
        "invoice.retrieve",
        lambda: stripe_client().v1.invoices.retrieve(invoice_id, params={"expand": expand or []}),
    )


def invoice_list_paid_for_subscription(*, subscription_id: str) -> list[Any]:
    """Every paid invoice of one subscription, each with its payment intent and charge."""

    def fetch() -> list[Any]:
        page = stripe_client().v1.invoices.list(
            params={
                "subscription": subscription_id,
                "status": "paid",
                "limit": 100,
                "expand": ["data.payments.data.payment.payment_intent.latest_charge"],
            }
        )
        return list(page.auto_paging_iter())

    invoices: list[Any] = call("invoice.list", fetch)
    return invoices


def invoice_list_paid(*, customer_id: str, limit: int = 10) -> list[Any]:
    invoices: list[Any] = call(
        "invoice.list",
        lambda: (
            stripe_client()
            .v1.invoices.list(
                params={
                    "customer": customer_id,
                    "status": "paid",
                    "limit": limit,
                    "expand": ["data.payments.data.payment.payment_intent"],
                }
            )
            .data
        ),
    )
    return invoices


def refund_create(
    *, payment_intent_id: str, reason: str, metadata: dict[str, str], idempotency_key: str
) -> Any:
    return call(
        "refund.create",
        lambda: stripe_client().v1.refunds.create(
            params={
                "payment_intent": payment_intent_id,
                "reason": reason,
                "metadata": metadata,
            },
            options=write_options(idempotency_key),
        ),
    )


def invoice_list_paid_since(*, created_gte: int, limit: int = 1000) -> list[Any]:
    """Paid invoices created since a moment (unix), newest first, at most `limit`: the
    revenue report's source (billing.selectors.reports)."""

    def fetch() -> list[Any]:
        page = stripe_client().v1.invoices.list(
            params={"status": "paid", "created": {"gte": created_gte}, "limit": 100}
        )
        invoices = []
        for invoice in page.auto_paging_iter():
            invoices.append(invoice)
            if len(invoices) >= limit:
                break
        return invoices

    invoices: list[Any] = call("invoice.list", fetch)
    return invoices
