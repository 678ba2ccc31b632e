"""Every write of billing state (docs/architecture.md, "Inside an app"), re-exported
from one module per topic."""

from audit.services import Actor  # an Audit value names one
from billing.services.apply import (
    Audit,
    subscription_apply_stripe,
    subscription_changed_hooks,
    subscription_sync_from_stripe,
)
from billing.services.attempts import stripe_write
from billing.services.customers import customer_ensure
from billing.services.duplicates import subscription_duplicates_resolve
from billing.services.events import stripe_event_process
from billing.services.pause import (
    pause_reminders_send,
    subscription_pause,
    subscription_pause_end,
)
from billing.services.payment_methods import payment_method_update, setup_intent_create
from billing.services.plans import SyncReport, plan_sync_catalogue
from billing.services.reconcile import subscriptions_reconcile, subscriptions_reconcile_part
from billing.services.subscriptions import (
    SubscriptionResult,
    subscription_cancel,
    subscription_cancel_now,
    subscription_change_plan,
    subscription_discount_apply,
    subscription_resume,
    subscription_subscribe,
)
from billing.services.tax import TaxLocation, tax_location_parse
from billing.services.trials import (
    subscription_start_trial,
    trial_email_digest,
    trial_email_normalize,
)
from billing.services.webhooks import (
    stripe_event_receive,
    stripe_event_reprocess,
    stripe_events_requeue,
    webhook_body_check_size,
)
from billing.services.writes import subscription_write

__all__ = [
    "Actor",
    "Audit",
    "SubscriptionResult",
    "SyncReport",
    "TaxLocation",
    "customer_ensure",
    "pause_reminders_send",
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
    "subscription_discount_apply",
    "subscription_duplicates_resolve",
    "subscription_pause",
    "subscription_pause_end",
    "subscription_resume",
    "subscription_start_trial",
    "subscription_subscribe",
    "subscription_sync_from_stripe",
    "subscription_write",
    "subscriptions_reconcile",
    "subscriptions_reconcile_part",
    "tax_location_parse",
    "trial_email_digest",
    "trial_email_normalize",
    "webhook_body_check_size",
]
