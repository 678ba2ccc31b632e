"""Settings for bench/publisher_day.py's gunicorn and Celery worker: the webhook bench's
(production settings, DEBUG off, the bench's queue, mail rendered but not sent), without
a log line for each expected 4xx (a 402, 404 or 409 the mix asks for); 5xx are logged."""

from bench.webhook_settings import *  # noqa: F403

LOGGING["loggers"] = {**LOGGING.get("loggers", {}), "django.request": {"level": "ERROR"}}  # noqa: F405
