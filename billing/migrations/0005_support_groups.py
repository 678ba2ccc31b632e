"""The support roles as groups. Staff without one of them see nothing of billing.

support: see readers and billing; cancel, resume, extend a trial by up to 30
days, resync, reprocess Stripe events. support-lead: all that, plus refunds
and longer extensions. (Grants are added by the entitlements app.)
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW = [
    ("accounts", "view_user"),
    ("billing", "view_plan"),
    ("billing", "view_customer"),
    ("billing", "view_subscription"),
    ("billing", "view_trialclaim"),
    ("billing", "view_auditlog"),
    ("billing", "view_stripeevent"),
    ("billing", "view_stripeattempt"),
    ("billing", "view_notification"),
]
SUPPORT = [
    *VIEW,
    ("billing", "cancel_subscription"),
    ("billing", "resume_subscription"),
    ("billing", "extend_trial"),
    ("billing", "resync_subscription"),
    ("billing", "reprocess_stripeevent"),
]
LEAD = [*SUPPORT, ("billing", "refund_payment"), ("billing", "extend_trial_long")]
GROUPS = {"support": SUPPORT, "support-lead": LEAD}


def create(apps, schema_editor):
    # Permissions are normally made after migrations; make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codename in perms:
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def remove(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0004_support_permissions"),
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create, remove)]
