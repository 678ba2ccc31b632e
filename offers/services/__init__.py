"""Offers' writes: the catalogue (staff, synced to Stripe), redemptions, emails;
retention (offers.services.retention: cancellation reasons and save offers)."""

from offers.services.catalogue import offer_deactivate, offer_save, offer_snapshot
from offers.services.emails import offer_applied_notify
from offers.services.redemptions import (
    offer_check_for_reader,
    offer_redeem,
    offer_start_trial,
    offer_subscribe,
    redemption_release,
    redemption_reserve,
)

__all__ = [
    "offer_applied_notify",
    "offer_check_for_reader",
    "offer_deactivate",
    "offer_redeem",
    "offer_save",
    "offer_snapshot",
    "offer_start_trial",
    "offer_subscribe",
    "redemption_release",
    "redemption_reserve",
]
