"""Webhook bodies: Stripe's signature checked (several secrets: a roll), then the event."""

from __future__ import annotations

import json
from typing import Any

import stripe
from rest_framework import status

from config.errors import ApplicationError


class WebhookRejected(ApplicationError):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid_webhook"


WEBHOOK_TOLERANCE_SECONDS = 300


def webhook_event_verified(*, payload: bytes, signature: str, secrets: list[str]) -> dict[str, Any]:
    """The event in a webhook body, once its Stripe-Signature matches one of our secrets.

    Several secrets are tried in turn (a secret roll). A missing, wrong or
    stale signature (older than 300 s), or a body that is not an event, is
    refused. Verification is the SDK's own.
    """
    if not signature:
        raise WebhookRejected("Missing Stripe-Signature header.", code="missing_signature")
    if not secrets:
        raise WebhookRejected("No webhook secret is configured.", code="invalid_signature")
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8", "replace"), signature, secret, WEBHOOK_TOLERANCE_SECONDS
            )
        except stripe.SignatureVerificationError:
            continue
        try:
            data = json.loads(payload)
        except (ValueError, RecursionError) as exc:  # not JSON, or nested past the stack
            raise WebhookRejected(
                "The body is not a Stripe event.", code="malformed_event"
            ) from exc
        if (
            not isinstance(data, dict)
            or not data.get("id")
            or not data.get("type")
            or not isinstance(data.get("data"), dict)
        ):
            raise WebhookRejected("The body is not a Stripe event.", code="malformed_event")
        return data
    raise WebhookRejected("The signature does not match.", code="invalid_signature")
