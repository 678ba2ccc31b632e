# AuditLog moves here from billing, table and rows included: the table keeps its name
# (billing_auditlog), so this migration only tells Django's state that the model is
# audit's now (billing 0010 removes it from billing's state). Nothing in the database
# changes but the content type, renamed so that the permissions on it (the support
# roles' view_auditlog) and admin's history of it follow the model.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def content_type_to_audit(apps, schema_editor):
    _move_content_type(apps, schema_editor, source="billing", target="audit")


def content_type_to_billing(apps, schema_editor):
    _move_content_type(apps, schema_editor, source="audit", target="billing")


def _move_content_type(apps, schema_editor, *, source, target):
    content_types = apps.get_model("contenttypes", "ContentType").objects.db_manager(
        schema_editor.connection.alias
    )
    if not content_types.filter(app_label=target, model="auditlog").exists():
        content_types.filter(app_label=source, model="auditlog").update(app_label=target)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("billing", "0009_auditlog_one_entry_per_attempt"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='AuditLog',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('actor_type', models.CharField(choices=[('staff', 'Staff'), ('reader', 'Reader'), ('stripe', 'Stripe'), ('system', 'System')], max_length=16)),
                        ('action', models.CharField(db_index=True, max_length=64)),
                        ('reason', models.TextField(blank=True)),
                        ('before', models.JSONField(blank=True, null=True)),
                        ('after', models.JSONField(blank=True, null=True)),
                        ('stripe_object_id', models.CharField(blank=True, db_index=True, max_length=255)),
                        ('idempotency_key', models.CharField(blank=True, help_text='The Stripe attempt this entry records: requests sharing it share the entry.', max_length=255)),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('actor_user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='audit_actions', to=settings.AUTH_USER_MODEL)),
                        ('reader', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='audit_entries', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'billing_auditlog',
                        'ordering': ('-created_at', '-id'),
                        'indexes': [models.Index(fields=['reader', '-created_at'], name='billing_audit_reader')],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('idempotency_key', ''), _negated=True), fields=('idempotency_key',), name='billing_audit_one_entry_per_attempt')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_to_audit, content_type_to_billing, elidable=False),
    ]
