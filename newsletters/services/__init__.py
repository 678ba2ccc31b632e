"""Every write of newsletters (docs/api.md, "Newsletters"): sign-ups and their
confirmation, preferences, unsubscribes and the suppression list, erasure.

Double opt-in without storing the unconfirmed: a sign-up only signs a link and
queues its email (on commit, in a task), so a request for a known address and one
for an unknown address do the same work and answer the same. Confirming writes
the subscriptions with their consent. Unsubscribing deletes the subscription and
keeps only the address's hash, on the suppression list.
"""

from newsletters.services.preferences import preferences_update
from newsletters.services.readers import reader_links_changed_hooks
from newsletters.services.removal import (
    subscriber_access_changed,
    subscriber_erase,
    subscriber_erase_for_user,
    subscriber_erase_on_request,
    subscription_unsubscribe,
    subscription_unsubscribe_on_request,
    unsubscribe_by_link,
)
from newsletters.services.signup import (
    confirmation_email_send,
    newsletter_signup,
    newsletters_for_signup,
    signup_confirm,
    subscriber_link_user,
)

__all__ = [
    "confirmation_email_send",
    "newsletter_signup",
    "newsletters_for_signup",
    "preferences_update",
    "reader_links_changed_hooks",
    "signup_confirm",
    "subscriber_access_changed",
    "subscriber_erase",
    "subscriber_erase_for_user",
    "subscriber_erase_on_request",
    "subscriber_link_user",
    "subscription_unsubscribe",
    "subscription_unsubscribe_on_request",
    "unsubscribe_by_link",
]
