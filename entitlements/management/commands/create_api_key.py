"""manage.py create_api_key NAME: a key for a server-side surface, printed once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from entitlements.api_keys import api_key_create


class Command(BaseCommand):
    help = "Create an Api-Key for a server-side surface; the key is printed once, never stored."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="who uses the key, e.g. 'web renderer'")

    def handle(self, *args: Any, name: str, **options: Any) -> None:
        created = api_key_create(name=name)
        self.stderr.write(f"API key {created.api_key.prefix}... for {name!r} (shown once):")
        self.stdout.write(created.key)
