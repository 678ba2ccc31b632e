"""Entitlements state: metering and complimentary grants (issue 7 fills this in)."""
