from typing import Any

from django.apps import AppConfig
from django.db import transaction


class EntitlementsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "entitlements"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        from billing.services import subscription_changed_hooks
        from entitlements import (
            authentication,  # noqa: F401 - registers the OpenAPI scheme
            checks,  # noqa: F401 - registers the system checks
        )
        from entitlements.services import readers_registration_changed, subscription_changed
        from newsletters.services import reader_links_changed_hooks

        if subscription_changed not in subscription_changed_hooks:
            subscription_changed_hooks.append(subscription_changed)
        # A confirmed newsletter address makes its anonymous readers meter as registered.
        if readers_registration_changed not in reader_links_changed_hooks:
            reader_links_changed_hooks.append(readers_registration_changed)
        user_model = get_user_model()
        post_save.connect(_user_changed, sender=user_model, dispatch_uid="entitlements_user_saved")
        post_delete.connect(
            _user_changed, sender=user_model, dispatch_uid="entitlements_user_deleted"
        )


def _user_changed(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    """The staff flag is part of the decision: a saved account invalidates its cached one.

    Saves that name their fields (last_login at every login, say) and leave
    is_staff alone change nothing here.
    """
    if update_fields is not None and "is_staff" not in update_fields:
        return
    from entitlements.readers import Reader
    from entitlements.services import entitlement_invalidate

    reader = Reader(user_id=instance.pk)
    transaction.on_commit(lambda: entitlement_invalidate(reader=reader))
