from django.apps import AppConfig
from django.db.models.signals import post_migrate


class BillingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing"

    def ready(self) -> None:
        from billing import checks  # noqa: F401 - registers the system checks
        from billing.roles import roles_ensure

        post_migrate.connect(roles_ensure, sender=self, dispatch_uid="billing.roles_ensure")
