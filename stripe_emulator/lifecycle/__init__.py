"""A subscription's life in time, as Stripe runs it (docs/emulator-lifecycle.md).

Both the request handlers (stripe_emulator/resources/) and the scheduler
(stripe_emulator/scheduler.py) call these public functions, so a trial that
ends by itself and one ended by `trial_end=now` take the same path:

- start.py          a new subscription's first invoice (trial, paid, or incomplete)
- trial.py          trial parameters, trial_will_end, the trial's end (convert, cancel, pause)
- renewal.py        the period end: the next period and its invoice; a new cycle now
- dunning.py        collecting an invoice: first attempt, retries, what a payment does
                    to the subscription, and what follows the last failed retry
- pause.py          resuming a paused subscription
- pause_collection.py  pause_collection: renewals drafted, written off or voided; resumes_at
- billing_anchor.py a create's billing cycle anchor: the prorated time up to it
- cancellation.py   ending a subscription: now, at the period end, or expiring unpaid

The lifecycle builds on the resources' public functions. The resource modules it
builds on that call it back (invoices.py, payment_intents.py) import it inside the
function; the others (customers.py, subscriptions.py) at the top.
"""

# The resources load first, whichever module is imported first: the lifecycle builds
# on them, and the subscription handlers import the lifecycle back.
from stripe_emulator import resources  # noqa: F401
