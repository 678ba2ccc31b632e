from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class SupportConfig(AppConfig):
    name = "support"

    def ready(self) -> None:
        from billing.services.notifications import support_role_names
        from support.roles import ROLES, roles_ensure

        support_role_names.update(ROLES)  # billing mails these roles about a reader

        # Django sends post_migrate only for apps with models, which support has not:
        # the roles are auth's groups, kept up to date whenever auth's tables are.
        post_migrate.connect(
            roles_ensure, sender=apps.get_app_config("auth"), dispatch_uid="support.roles_ensure"
        )
