"""A stateful Stripe API emulator (README.md beside it; docs/emulator-lifecycle.md)."""
