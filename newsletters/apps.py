from typing import Any

from django.apps import AppConfig


class NewslettersConfig(AppConfig):
    name = "newsletters"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from allauth.account.signals import email_confirmed

        from billing.services import subscription_changed_hooks
        from newsletters.services import subscriber_access_changed

        email_confirmed.connect(_email_verified, dispatch_uid="newsletters_email_verified")
        # A subscription that stops giving access takes the reader off subscribers-only lists.
        if subscriber_access_changed not in subscription_changed_hooks:
            subscription_changed_hooks.append(subscriber_access_changed)


def _email_verified(sender: Any, request: Any, email_address: Any, **kwargs: Any) -> None:
    """An account verified its address: what that address confirmed before is linked to it."""
    from newsletters.services import subscriber_link_user

    if email_address.user_id is not None:
        subscriber_link_user(user=email_address.user, email=email_address.email)
