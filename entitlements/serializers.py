"""Output shapes of the entitlements endpoints (docs/api.md, "Entitlements")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rest_framework import serializers

if TYPE_CHECKING:
    from entitlements.selectors import Decision
    from entitlements.services import ReadOutcome
    from entitlements.tokens import IssuedToken

ACCESS = ("unlimited", "metered")
REASONS = (
    "trialing",
    "active",
    "past_due_grace",
    "grant",
    "staff",
    "metered",
    "limit_reached",
    "registration_required",
    "paused",
)


class MeterSerializer(serializers.Serializer):
    limit = serializers.IntegerField()
    used = serializers.IntegerField()
    remaining = serializers.IntegerField()
    resets_at = serializers.DateTimeField()


class EntitlementSerializer(serializers.Serializer):
    access = serializers.ChoiceField(choices=ACCESS)
    reason = serializers.ChoiceField(choices=REASONS)
    until = serializers.DateTimeField(allow_null=True)
    metered = MeterSerializer(allow_null=True)


class ReadOutcomeSerializer(serializers.Serializer):
    granted = serializers.BooleanField()
    access = serializers.ChoiceField(choices=ACCESS)
    reason = serializers.ChoiceField(choices=REASONS)
    remaining = serializers.IntegerField(allow_null=True)
    token = serializers.CharField(
        required=False, help_text="With ?token=1: a fresh edge token, after this read."
    )
    expires_at = serializers.DateTimeField(required=False, help_text="With ?token=1.")


class EdgeTokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="A signed JWT (EdDSA); claims in docs/api.md.")
    expires_at = serializers.DateTimeField()


class JwkSerializer(serializers.Serializer):
    kty = serializers.CharField()
    crv = serializers.CharField()
    kid = serializers.CharField()
    x = serializers.CharField()
    use = serializers.CharField()
    alg = serializers.CharField()


class JwksSerializer(serializers.Serializer):
    keys = JwkSerializer(many=True)


# The hot path renders with these plain functions: instantiating DRF serializers
# (a deep copy of their declared fields each time) costs more than the decision
# itself. The serializers above describe the same shapes for the OpenAPI schema,
# and a test holds the two to the same output.


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def entitlement_data(decision: Decision) -> dict[str, Any]:
    meter = decision.metered
    return {
        "access": decision.access,
        "reason": decision.reason,
        "until": _iso(decision.until),
        "metered": None
        if meter is None
        else {
            "limit": meter.limit,
            "used": meter.used,
            "remaining": meter.remaining,
            "resets_at": _iso(meter.resets_at),
        },
    }


def read_outcome_data(outcome: ReadOutcome) -> dict[str, Any]:
    return {
        "granted": outcome.granted,
        "access": outcome.access,
        "reason": outcome.reason,
        "remaining": outcome.remaining,
    }


def token_data(issued: IssuedToken) -> dict[str, Any]:
    return {"token": issued.token, "expires_at": _iso(issued.expires_at)}
