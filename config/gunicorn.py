"""Gunicorn's settings that the service's own depend on (`gunicorn -c python:config.gunicorn`).

The worker timeout is WEB_TIMEOUT_SECONDS from the Django settings, the same
value the Stripe time budget is checked against (billing.E001), so the two
are set in one place. Before any worker starts, Django's system checks run:
a configuration error they name stops the server from starting.
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from django.conf import settings

timeout = int(settings.WEB_TIMEOUT_SECONDS)


def on_starting(server: Any) -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("check", fail_level="ERROR")
