from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "support"

    def ready(self) -> None:
        from billing.services.notifications import support_role_names
        from support.roles import SUPPORT_ROLES

        support_role_names.update(SUPPORT_ROLES)  # billing mails these roles about a reader
