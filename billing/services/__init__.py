"""Every write of billing state (docs/architecture.md, "Inside an app"), re-exported
from one module per topic."""

from billing.services.apply import (
    subscription_apply_stripe,
    subscription_changed_hooks,
    subscription_sync_from_stripe,
)
from billing.services.attempts import stripe_write
from billing.services.customers import customer_ensure
from billing.services.duplicates import subscription_duplicates_resolve
from billing.services.events import (
    stripe_event_process,
    stripe_event_receive,
    stripe_event_reprocess,
    stripe_events_requeue,
    subscriptions_reconcile,
    subscriptions_reconcile_part,
)
from billing.services.plans import SyncReport, plan_sync_catalogue
from billing.services.subscriptions import (
    SubscriptionResult,
    payment_method_update,
    setup_intent_create,
    subscription_cancel,
    subscription_cancel_now,
    subscription_change_plan,
    subscription_resume,
    subscription_start_trial,
    subscription_subscribe,
    trial_email_digest,
    trial_email_normalize,
)

__all__ = [
    "SubscriptionResult",
    "SyncReport",
    "customer_ensure",
    "payment_method_update",
    "plan_sync_catalogue",
    "setup_intent_create",
    "stripe_event_process",
    "stripe_event_receive",
    "stripe_event_reprocess",
    "stripe_events_requeue",
    "stripe_write",
    "subscription_apply_stripe",
    "subscription_cancel",
    "subscription_cancel_now",
    "subscription_change_plan",
    "subscription_changed_hooks",
    "subscription_duplicates_resolve",
    "subscription_resume",
    "subscription_start_trial",
    "subscription_subscribe",
    "subscription_sync_from_stripe",
    "subscriptions_reconcile",
    "subscriptions_reconcile_part",
    "trial_email_digest",
    "trial_email_normalize",
]
