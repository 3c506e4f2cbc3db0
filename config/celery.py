"""The Celery application. Tasks live in each app's `tasks.py`; with no broker configured they
run eagerly in the calling process (see settings)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Every task skips a message whose outbox row is already done (core/outbox.py, core/task.py).
app = Celery("collective", task_cls="core.task:OutboxAwareTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
