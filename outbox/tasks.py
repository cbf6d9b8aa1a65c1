"""Beat tasks that keep the outbox moving, the sweep that enqueues lost work again, and the
record every task published from the outbox keeps on its row: when it starts, when it ends.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task, states
from celery.signals import task_postrun, task_prerun
from django.db import DatabaseError
from django.utils import timezone

from outbox import services, sweeps
from portal.retries import retry_window

logger = logging.getLogger(__name__)


@shared_task(name="outbox.tasks.dispatch_outbox")
def dispatch_outbox() -> int:
    """A dispatcher pass, should the dispatcher process be down (it does this every second)."""
    now = timezone.now()
    services.requeue_lost(now=now)
    return services.dispatch_pending(now=now)


@shared_task(name="outbox.tasks.purge_sent_outbox")
def purge_sent_outbox() -> int:
    return services.purge_sent()


@shared_task(name="outbox.tasks.sweep_unfinished_work")
def sweep_unfinished_work() -> dict[str, int]:
    return sweeps.sweep_unfinished_work(now=timezone.now())


def _message_id(task: Task) -> int | None:
    headers = getattr(task.request, "headers", None) or {}
    value = headers.get(services.MESSAGE_HEADER)
    return int(value) if value is not None else None


@task_prerun.connect
def record_task_start(sender: Task | None = None, **kwargs: Any) -> None:
    message_id = _message_id(sender) if sender is not None else None
    if message_id is None:
        return
    try:
        services.record_started(
            message_id=message_id, retry_window=retry_window(sender), now=timezone.now()
        )
    except DatabaseError:
        # The task itself will meet the database, and retry; unrecorded, the start costs at
        # most a message published again.
        logger.warning("Outbox message %s: could not record its start", message_id)


@task_postrun.connect
def record_task_end(sender: Task | None = None, state: str | None = None, **kwargs: Any) -> None:
    message_id = _message_id(sender) if sender is not None else None
    if message_id is None or state == states.RETRY:
        return  # a retry is on its way: still within the task's window
    try:
        services.record_finished(message_id=message_id, now=timezone.now())
    except DatabaseError:
        logger.warning("Outbox message %s: could not record its end", message_id)
