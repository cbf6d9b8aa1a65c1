"""Durable task enqueueing: a change and the work it starts commit together, and nothing in
a request waits on the broker.

`enqueue_on_commit(task, *args)` stores an outbox row in the caller's transaction and does
nothing else: the dispatcher (`manage.py dispatch_outbox`, the Procfile's `dispatcher`,
every second; the beat task `dispatch_outbox` every minute besides) publishes pending rows.
Each message carries its row's id, and its task records on the row when it starts and when
it finishes (outbox.tasks), so a message the broker lost is told from one still waiting or
running: sent and not started within two minutes, or started and not finished within its
task's retry window, it is pending again (`requeue_lost`) and published once more. Tasks
are idempotent, so a message published twice (a slow queue, a crash between publishing and
marking it sent) is harmless.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from celery import Task
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from outbox.models import OutboxMessage
from portal.celery import app

logger = logging.getLogger(__name__)

# The message header that names the outbox row a task was published from.
MESSAGE_HEADER = "outbox_message_id"
# Sent and not started by then: the broker lost it (a worker takes a message in seconds).
LOST_AFTER = timedelta(minutes=2)
# Found lost this many times and still unfinished: left for a person (the admin's outbox).
MAX_LOST = 5
# Messages published per transaction.
DISPATCH_BATCH = 100


def enqueue_on_commit(task: Task, *args: Any) -> None:
    """Run `task(*args)` once the current transaction commits, surviving a broker outage."""
    if app.conf.task_always_eager:
        # No broker (development, tests): nothing can be lost, run it in-process on commit.
        transaction.on_commit(lambda: task.delay(*args))
        return
    OutboxMessage.objects.create(task_name=task.name, args=list(args))


def dispatch_pending(*, now: datetime | None = None, limit: int = DISPATCH_BATCH) -> int:
    """Publish messages not yet sent, oldest first; returns how many were sent.

    The rows are locked while they are published (`SKIP LOCKED`: two dispatchers never take
    the same row), so a worker that starts a task at once records its start after the row
    says it was sent. The first refusal ends the batch: the broker is down, and the rest
    waits for the next pass.
    """
    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        messages = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(sent_at__isnull=True)
            .order_by("created_at", "id")[:limit]
        )
        for message in messages:
            try:
                # retry=False: fail fast when the broker is down, the next pass tries again.
                app.send_task(
                    message.task_name,
                    args=message.args,
                    retry=False,
                    headers={MESSAGE_HEADER: message.pk},
                )
            except Exception as error:
                OutboxMessage.objects.filter(pk=message.pk).update(
                    attempts=F("attempts") + 1,
                    last_error=f"{type(error).__name__}: {error}"[:2000],
                )
                logger.warning("Could not publish %s yet: %s", message, error)
                break
            OutboxMessage.objects.filter(pk=message.pk).update(
                sent_at=now,
                attempts=F("attempts") + 1,
                last_error="",
                # A task that started already (a message published again) keeps its window.
                lost_after=Greatest(Coalesce(F("lost_after"), now), now + LOST_AFTER),
            )
            sent += 1
    return sent


def requeue_lost(*, now: datetime) -> int:
    """Make pending again every message the broker lost (see the module's docstring), in one
    statement; returns how many."""
    lost = OutboxMessage.objects.filter(
        sent_at__isnull=False,
        finished_at__isnull=True,
        lost_after__lte=now,
        lost_count__lt=MAX_LOST,
    )
    count = lost.update(
        sent_at=None,
        lost_count=F("lost_count") + 1,
        last_error=f"Not finished by {now.isoformat()}: taken as lost, published again.",
    )
    if count:
        logger.warning("Outbox: %d messages were lost and are published again", count)
    return count


def record_started(*, message_id: int, retry_window: timedelta, now: datetime) -> None:
    """The task of `message_id` starts an attempt: lost only if it has not finished (or
    started again) within its own retry window."""
    OutboxMessage.objects.filter(pk=message_id, finished_at__isnull=True).update(
        started_at=now, lost_after=now + retry_window
    )


def record_finished(*, message_id: int, now: datetime) -> None:
    """The task of `message_id` succeeded, or failed for good: never published again."""
    OutboxMessage.objects.filter(pk=message_id, finished_at__isnull=True).update(finished_at=now)


def purge_sent(*, now: Any = None, older_than: timedelta = timedelta(days=7)) -> int:
    now = now or timezone.now()
    deleted, _ = OutboxMessage.objects.filter(sent_at__lt=now - older_than).delete()
    return deleted
