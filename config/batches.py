"""Deleting many rows without one long transaction: in batches, at most so many a run."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

#: Rows one DELETE removes: short locks, a bounded transaction.
DELETE_BATCH_SIZE = 1000


def delete_in_batches(
    queryset: QuerySet[Any],
    *,
    limit: int,
    order_by: str = "pk",
    batch_size: int = DELETE_BATCH_SIZE,
) -> int:
    """Delete the queryset's rows (and what cascades from them) a batch at a time, in
    `order_by` order, stopping after `limit` rows; returns how many went.

    Each batch is its own statement, so a run that stops (its bound, a killed
    worker) leaves the rest for the next run. Order by an indexed column that
    the filter bounds (a date): each batch then reads the index from the oldest
    row and stops after a batch, whatever the table's size.
    """
    model = queryset.model
    deleted = 0
    while deleted < limit:
        size = min(batch_size, limit - deleted)
        pks = list(queryset.order_by(order_by).values_list("pk", flat=True)[:size])
        if not pks:
            break
        _total, per_model = model._default_manager.filter(pk__in=pks).delete()
        deleted += per_model.get(model._meta.label, 0)
    return deleted
