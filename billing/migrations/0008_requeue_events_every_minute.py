"""The requeue of unprocessed Stripe events runs every minute (it was every 5).

It is what finds an event held by a dead worker once its claim is stale, so
its interval is part of the bound on recovering a killed worker's events
(config/task_limits.py, REQUEUE_INTERVAL_SECONDS). A schedule an operator
changed from the seeded 5 minutes is left as it is.
"""

from django.db import migrations
from django.utils import timezone

NAME = "billing: requeue unprocessed Stripe events"


def _set_interval(apps, old: int, new: int) -> None:
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    task = PeriodicTask.objects.filter(
        name=NAME, interval__every=old, interval__period="minutes"
    ).first()
    if task is None:
        return
    task.interval, _ = IntervalSchedule.objects.get_or_create(every=new, period="minutes")
    task.save(update_fields=["interval"])
    # A running beat reloads its schedule when this changes (the model's own
    # save() does it, which a migration's historical model does not have).
    apps.get_model("django_celery_beat", "PeriodicTasks").objects.update_or_create(
        ident=1, defaults={"last_update": timezone.now()}
    )


def every_minute(apps, schema_editor):
    _set_interval(apps, old=5, new=1)


def every_five_minutes(apps, schema_editor):
    _set_interval(apps, old=1, new=5)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0007_stripe_attempt_holders"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(every_minute, every_five_minutes)]
