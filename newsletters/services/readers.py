"""Who else must know when an anonymous reader starts or stops counting as registered."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from uuid import UUID

from django.db import transaction

# Entitlements registers here (entitlements/apps.py): called after commit with the
# anonymous reader ids whose "registered" standing may have changed.
reader_links_changed_hooks: list[Callable[[list[str]], None]] = []


def readers_changed(anonymous_ids: Iterable[str | UUID]) -> None:
    ids = sorted({str(a) for a in anonymous_ids})
    if not ids:
        return

    def notify() -> None:
        for hook in reader_links_changed_hooks:
            hook(ids)

    transaction.on_commit(notify)
