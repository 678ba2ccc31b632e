"""Pytest fixtures that start the Stripe emulator (placeholder until issue 3 lands)."""
