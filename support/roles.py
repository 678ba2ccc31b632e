"""The support roles as groups; staff in neither see nothing of billing.

support: see readers, billing, grants, meters and service keys; cancel,
resume, end a reader's pause, extend a trial and grant free access for up to 30 days, revoke a
grant, resync, reprocess Stripe events; see offers and their redemptions.
support-lead: all that, plus refunds and longer extensions and grants, and
make, change and deactivate offers and the save offer per cancellation
reason. marketing: make, change and deactivate offers and save offers (and
see the plans they apply to, their redemptions and the cancellation report),
nothing of readers or billing beyond that. support sees save offers and the
cancellation answers. pricing: edit the price book (an amount per plan and
currency), sync it to Stripe, and see revenue and MRR per currency. Newsletters:
support finds an address, unsubscribes it on request and erases it; support-lead
and marketing also define the lists and export their confirmed subscribers.

Seeded by `manage.py setup_roles` (run by `manage.py seed` after every
migrate: scripts/run, the compose file's migrate service, CI), like the
periodic jobs and the plans: a new permission reaches the roles at the next
seed. A permission an operator adds to a role in admin is kept; one taken
away comes back at the next seed, unless --reset, which makes each role
exactly what is declared here.
"""

from __future__ import annotations

SUPPORT = [
    ("accounts", "view_user"),
    ("billing", "view_plan"),
    ("billing", "view_planprice"),
    ("billing", "view_customer"),
    ("billing", "view_subscription"),
    ("billing", "view_trialclaim"),
    ("audit", "view_auditlog"),
    ("billing", "view_stripeevent"),
    ("billing", "view_stripeattempt"),
    ("billing", "view_notification"),
    ("billing", "cancel_subscription"),
    ("billing", "resume_subscription"),
    ("billing", "end_pause"),
    ("billing", "extend_trial"),
    ("billing", "resync_subscription"),
    ("billing", "reprocess_stripeevent"),
    ("billing", "grant_access"),
    ("billing", "revoke_grant"),
    ("entitlements", "view_grant"),
    ("entitlements", "view_meter"),
    ("entitlements", "view_meteredread"),
    ("entitlements", "view_apikey"),
    ("offers", "view_offer"),
    ("offers", "view_redemption"),
    ("offers", "view_saveoffer"),
    ("offers", "view_cancellationfeedback"),
    # Newsletters: find an address, unsubscribe it on request, erase it (audited).
    ("newsletters", "view_newsletter"),
    ("newsletters", "view_subscriber"),
    ("newsletters", "view_subscription"),
    ("newsletters", "unsubscribe_on_request"),
    ("newsletters", "erase_subscriber"),
]
# Newsletters: the lists defined in admin, and the export for the email platform.
NEWSLETTERS = [
    ("newsletters", "view_newsletter"),
    ("newsletters", "add_newsletter"),
    ("newsletters", "change_newsletter"),
    ("newsletters", "export_subscribers"),
]
# Offers: made and changed in admin (offers/admin.py), synced to Stripe.
OFFERS = [
    ("offers", "view_offer"),
    ("offers", "add_offer"),
    ("offers", "change_offer"),
    ("offers", "deactivate_offer"),
    ("offers", "view_redemption"),
    # Retention: the save offer per cancellation reason, and the readers' answers.
    ("offers", "view_saveoffer"),
    ("offers", "add_saveoffer"),
    ("offers", "change_saveoffer"),
    ("offers", "view_cancellationfeedback"),
]
LEAD = [
    *SUPPORT,
    ("billing", "refund_payment"),
    ("billing", "extend_trial_long"),
    ("billing", "grant_access_long"),
    *[perm for perm in OFFERS if perm not in SUPPORT],
    *[perm for perm in NEWSLETTERS if perm not in SUPPORT],
]
MARKETING = [("billing", "view_plan"), *OFFERS, *NEWSLETTERS]
# The price book: an amount per plan and currency, synced to Stripe (billing/admin_plans.py),
# and the revenue and MRR report per currency.
PRICING = [
    ("billing", "view_plan"),
    ("billing", "view_planprice"),
    ("billing", "add_planprice"),
    ("billing", "change_planprice"),
    ("billing", "delete_planprice"),
    ("billing", "sync_plan"),
    ("billing", "view_revenue_report"),
]
ROLES = {"support": SUPPORT, "support-lead": LEAD, "marketing": MARKETING, "pricing": PRICING}
# The roles that are told about readers (billing's support mails): not marketing.
SUPPORT_ROLES = ("support", "support-lead")


def roles_ensure(*, reset: bool = False) -> dict[str, list[str]]:
    """Create the groups and give them their permissions (idempotent).

    Returns what changed: per group, the codenames it was given (and, with
    `reset`, those taken away, prefixed with "-"); a new group is listed with
    all of its permissions.
    """
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    for label in sorted({app_label for perms in ROLES.values() for app_label, _ in perms}):
        create_permissions(apps.get_app_config(label), verbosity=0)
    changed: dict[str, list[str]] = {}
    for name, perms in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        declared = {
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in perms
        }
        held = set(group.permissions.all())
        added = declared - held
        removed = held - declared if reset else set()
        group.permissions.add(*added)
        group.permissions.remove(*removed)
        if added or removed:
            changed[name] = sorted(p.codename for p in added) + sorted(
                f"-{p.codename}" for p in removed
            )
    return changed
