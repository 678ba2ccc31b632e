"""A subscription's life in time, as Stripe runs it (docs/emulator-lifecycle.md).

Both the request handlers (stripe_emulator/resources/) and the scheduler
(stripe_emulator/scheduler.py) call these public functions, so a trial that
ends by itself and one ended by `trial_end=now` take the same path:

- trial.py          trial parameters, trial_will_end, the trial's end (convert, cancel, pause)
- renewal.py        the period end: the next period and its invoice
- dunning.py        collecting an invoice: first attempt, retries, what a payment does
                    to the subscription, and what follows the last failed retry
- cancellation.py   ending a subscription: now, at the period end, or expiring unpaid

The lifecycle builds on the resources' public functions; a resource module
that calls back into it imports it inside the function (see resources/invoices.py).
"""

# The resources load first, whichever module is imported first: the lifecycle builds
# on them, and the subscription handlers import the lifecycle back.
from stripe_emulator import resources  # noqa: F401
