"""AuditLog moved from billing to audit without touching its table: a database
migrated on the old layout keeps every entry, and the roles keep seeing them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from audit.models import AuditLog
from tests.factories import UserFactory

BEFORE_THE_MOVE = [("audit", None), ("billing", "0009_auditlog_one_entry_per_attempt")]
CONTENT_TYPES = ("contenttypes", "0002_remove_content_type_name")


def _migrate(targets):
    """Migrate the test database to `targets`; the models as they were there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    nodes = [target for target in targets if target[1] is not None]
    return executor.loader.project_state([*nodes, CONTENT_TYPES]).apps


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_entries_written_before_the_move_are_audits_after_it(roles):
    reader = UserFactory(email="reader@example.com")
    try:
        old = _migrate(BEFORE_THE_MOVE)
        old_log = old.get_model("billing", "AuditLog")
        old_log.objects.create(
            actor_type="reader", action="trial.claimed", reader_id=reader.pk, idempotency_key="k1"
        )
        old_log.objects.create(
            actor_type="staff", action="payment.refunded", reader_id=reader.pk, reason="Why"
        )
        content_type = old.get_model("contenttypes", "ContentType").objects.get(model="auditlog")
        assert content_type.app_label == "billing"

        new = _migrate(_latest())

        new_log = new.get_model("audit", "AuditLog")
        assert sorted(new_log.objects.values_list("action", "idempotency_key", "reason")) == [
            ("payment.refunded", "", "Why"),
            ("trial.claimed", "k1", ""),
        ]
        assert AuditLog.objects.filter(reader=reader).count() == 2
        assert AuditLog._meta.db_table == "billing_auditlog"
        # The content type moved with the model: the roles' view permission (and admin's
        # history of the entries) follow it rather than pointing at a model that is gone.
        support = Group.objects.get(name="support")
        assert support.permissions.filter(
            content_type__app_label="audit", codename="view_auditlog"
        ).exists()
        assert (
            not support.permissions.filter(content_type__app_label="billing")
            .filter(codename="view_auditlog")
            .exists()
        )
    finally:
        _migrate(_latest())
