"""Deleting many rows without one long transaction: in batches, at most so many a run."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

#: Rows one DELETE removes: short locks, a bounded transaction.
DELETE_BATCH_SIZE = 1000


def delete_in_batches(
    queryset: QuerySet[Any], *, limit: int, batch_size: int = DELETE_BATCH_SIZE
) -> int:
    """Delete the queryset's rows (and what cascades from them) a batch at a time, in
    primary-key order, stopping after `limit` rows; returns how many went.

    Each batch is its own statement, so a run that stops (its bound, a killed
    worker) leaves the rest for the next run.
    """
    model = queryset.model
    deleted = 0
    while deleted < limit:
        pks = list(
            queryset.order_by("pk").values_list("pk", flat=True)[: min(batch_size, limit - deleted)]
        )
        if not pks:
            break
        _total, per_model = model._default_manager.filter(pk__in=pks).delete()
        deleted += per_model.get(model._meta.label, 0)
    return deleted
