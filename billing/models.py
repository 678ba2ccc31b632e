"""Billing state: plans, Stripe customers and subscriptions (issue 4 fills this in)."""
