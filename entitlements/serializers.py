"""Output shapes of the entitlements endpoints (DESIGN.md, REST contract)."""

from rest_framework import serializers

ACCESS = ("unlimited", "metered")
REASONS = (
    "trialing",
    "active",
    "past_due_grace",
    "grant",
    "staff",
    "metered",
    "limit_reached",
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
