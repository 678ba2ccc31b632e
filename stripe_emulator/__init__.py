"""A stateful Stripe API emulator (see DESIGN.md, "The Stripe emulator")."""
