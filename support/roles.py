"""The support roles as groups; staff in neither see nothing of billing.

support: see readers, billing, grants, meters and service keys; cancel,
resume, extend a trial and grant free access for up to 30 days, revoke a
grant, resync, reprocess Stripe events. support-lead: all that, plus refunds
and longer extensions and grants.

Kept by a post_migrate handler rather than a data migration: it runs after
every migrate, so a new permission reaches the roles at once, and the roles
survive the table flushes between transactional tests.
"""

from __future__ import annotations

from typing import Any

SUPPORT = [
    ("accounts", "view_user"),
    ("billing", "view_plan"),
    ("billing", "view_customer"),
    ("billing", "view_subscription"),
    ("billing", "view_trialclaim"),
    ("audit", "view_auditlog"),
    ("billing", "view_stripeevent"),
    ("billing", "view_stripeattempt"),
    ("billing", "view_notification"),
    ("billing", "cancel_subscription"),
    ("billing", "resume_subscription"),
    ("billing", "extend_trial"),
    ("billing", "resync_subscription"),
    ("billing", "reprocess_stripeevent"),
    ("billing", "grant_access"),
    ("billing", "revoke_grant"),
    ("entitlements", "view_grant"),
    ("entitlements", "view_meter"),
    ("entitlements", "view_meteredread"),
    ("entitlements", "view_apikey"),
]
LEAD = [
    *SUPPORT,
    ("billing", "refund_payment"),
    ("billing", "extend_trial_long"),
    ("billing", "grant_access_long"),
]
ROLES = {"support": SUPPORT, "support-lead": LEAD}


def roles_ensure(**kwargs: Any) -> None:
    """Create the groups and give them their permissions (idempotent)."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    for label in ("accounts", "audit", "billing", "entitlements"):
        create_permissions(apps.get_app_config(label), verbosity=0)
    for name, perms in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *[
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
                for app_label, codename in perms
            ]
        )
