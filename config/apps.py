from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """The project's own configuration as an app: its system checks and seeding commands."""

    name = "config"
    verbose_name = "Configuration"

    def ready(self) -> None:
        from config import checks  # noqa: F401 - registers the system checks
