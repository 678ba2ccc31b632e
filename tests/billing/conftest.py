"""Billing fixtures live in tests/conftest.py (shared with accounts and entitlements)."""

from tests.conftest import client_for

__all__ = ["client_for"]
