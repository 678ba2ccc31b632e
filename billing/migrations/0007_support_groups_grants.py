"""Grants and the free-article meter join the support roles.

support: see grants, meters and service keys; grant up to 30 days; revoke.
support-lead: also longer grants.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SUPPORT = [
    ("billing", "grant_access"),
    ("billing", "revoke_grant"),
    ("entitlements", "view_grant"),
    ("entitlements", "view_meter"),
    ("entitlements", "view_meteredread"),
    ("entitlements", "view_apikey"),
]
LEAD = [*SUPPORT, ("billing", "grant_access_long")]
GROUPS = {"support": SUPPORT, "support-lead": LEAD}


def add(apps, schema_editor):
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
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in GROUPS.items():
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        for app_label, codename in perms:
            group.permissions.remove(
                *Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0006_grant_permissions"),
        ("billing", "0005_support_groups"),
        ("entitlements", "0001_initial"),
    ]

    operations = [migrations.RunPython(add, remove)]
