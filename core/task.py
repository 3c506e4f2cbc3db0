"""The base class of every Celery task of the project (config/celery.py)."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task

logger = logging.getLogger(__name__)


class OutboxAwareTask(Task):
    """Skips a message whose outbox row is gone: the work it stands for was done by another copy
    (a message restored after a connection loss, or re-published by the outbox flush)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        request = self.request
        if not request.is_eager:
            # Imported here: Celery loads this base class (config/celery.py's task_cls) when the
            # first task is declared, which may be before Django's apps are ready, and
            # core.outbox imports models.
            from core.outbox import outbox_id_of

            outbox_id = outbox_id_of(request)
            if outbox_id is not None:
                from core.models import OutboxTask  # as above: models, not at class load

                if not OutboxTask.objects.filter(pk=outbox_id).exists():
                    logger.info("outbox: %s[%s] skipped: row #%s already done", self.name, request.id, outbox_id)
                    return None
        return super().__call__(*args, **kwargs)
