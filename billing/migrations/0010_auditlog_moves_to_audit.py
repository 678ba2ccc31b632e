# AuditLog is the audit app's now (audit 0001): removed from billing's state only;
# its table (billing_auditlog) and rows stay where they are, and are audit's.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0009_auditlog_one_entry_per_attempt'),
        ('audit', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='AuditLog')],
            database_operations=[],
        ),
    ]
