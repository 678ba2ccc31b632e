"""manage.py entitlement_keys list | generate | activate KID | retire KID: the edge token keys.

The key set lives where ENTITLEMENT_SIGNING_KEYS says (docs/operations.md,
"Edge token keys"): a file (a mounted secret) that this command rewrites in
place, or JSON in the environment, in which case the new key set is printed
for the operator to store. --file PATH works on that file instead. Private
keys are never printed otherwise, never logged, never put in the database.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from entitlements.signing_keys import (
    CURRENT,
    NEXT,
    RETIRED,
    KeySetError,
    key_new,
    key_set_parse,
    key_set_read,
    key_set_write,
    source_is_inline,
)
from entitlements.tokens import JWKS_MAX_AGE_SECONDS, overlap_seconds


class Command(BaseCommand):
    help = "Manage the edge token signing keys: list, generate, activate KID, retire KID."
    requires_system_checks: list[str] = []  # a broken key set is what this repairs

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["list", "generate", "activate", "retire"])
        parser.add_argument("kid", nargs="?", help="the key (activate and retire)")
        parser.add_argument(
            "--file", help="the key set file (default: ENTITLEMENT_SIGNING_KEYS when a path)"
        )
        parser.add_argument(
            "--activate",
            action="store_true",
            help="generate: the new key signs at once (only for a key set without a current key)",
        )
        parser.add_argument(
            "--immediately",
            action="store_true",
            help="retire: stop publishing the key now (a compromised key), not after the overlap",
        )

    def handle(self, *args: Any, action: str, kid: str | None, **options: Any) -> None:
        path, data = self._load(options["file"])
        now = int(time.time())
        keys: list[dict[str, Any]] = data.setdefault("keys", [])
        if action == "list":
            for key in keys:
                retired = f" retired_at={key['retired_at']}" if key.get("retired_at") else ""
                self.stdout.write(
                    f"{key['kid']} {key['state']} created_at={key['created_at']}{retired}"
                )
            return
        if action == "generate":
            has_current = any(key.get("state") == CURRENT for key in keys)
            if options["activate"] and has_current:
                raise CommandError("a key already signs: generate, then activate KID later")
            new = key_new(now=now, state=CURRENT if options["activate"] or not keys else NEXT)
            keys.append(new)
            self.stderr.write(f"generated {new['kid']} ({new['state']})")
        elif kid is None:
            raise CommandError(f"{action} needs the key's kid")
        else:
            self._change(keys, action=action, kid=kid, now=now, immediately=options["immediately"])
        data["keys"] = [key for key in keys if not self._forgotten(key, now)]
        try:
            key_set_parse(data)
        except KeySetError as exc:
            raise CommandError(f"the key set would be invalid: {exc}") from exc
        if path is None:
            self.stderr.write("ENTITLEMENT_SIGNING_KEYS holds the key set: store this JSON there")
            self.stdout.write(json.dumps(data))
        else:
            key_set_write(path, data)
            self.stderr.write(f"wrote {path}")

    def _load(self, file: str | None) -> tuple[Path | None, dict[str, Any]]:
        source = file or settings.ENTITLEMENT_SIGNING_KEYS
        if not source:
            raise CommandError("set ENTITLEMENT_SIGNING_KEYS to the key file's path, or use --file")
        inline = file is None and source_is_inline(source)
        path = None if inline else Path(source)
        if path is not None and not path.exists():
            return path, {"keys": []}
        try:
            return path, key_set_read(source)
        except KeySetError as exc:
            raise CommandError(str(exc)) from exc

    def _change(
        self, keys: list[dict[str, Any]], *, action: str, kid: str, now: int, immediately: bool
    ) -> None:
        key = next((key for key in keys if key.get("kid") == kid), None)
        if key is None:
            raise CommandError(f"no key has kid {kid}")
        if action == "activate":
            if key["state"] != NEXT:
                raise CommandError(f"{kid} is {key['state']}: only a next key can be activated")
            if now - int(key.get("created_at") or 0) < JWKS_MAX_AGE_SECONDS:
                self.stderr.write(
                    f"warning: {kid} was published less than {JWKS_MAX_AGE_SECONDS}s ago; "
                    "edges with an older JWKS fetch it again when they meet its kid"
                )
            for other in keys:
                if other["state"] == CURRENT:
                    other.update(state=RETIRED, retired_at=now)
                    self.stderr.write(f"retired {other['kid']}")
            key.update(state=CURRENT, retired_at=None)
            self.stderr.write(f"activated {kid}")
            return
        if key["state"] == CURRENT:
            raise CommandError(f"{kid} signs now: activate another key first")
        if key["state"] != RETIRED or immediately:
            key.update(state=RETIRED, retired_at=now - overlap_seconds() if immediately else now)
        self.stderr.write(f"retired {kid}" + (" (unpublished now)" if immediately else ""))

    def _forgotten(self, key: dict[str, Any], now: int) -> bool:
        """A retired key past its overlap verifies nothing any more: it leaves the file."""
        retired_at = key.get("retired_at")
        return (
            key.get("state") == RETIRED
            and isinstance(retired_at, int)
            and now >= retired_at + overlap_seconds()
        )
