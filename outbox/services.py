"""Durable task enqueueing: a change and the work it starts commit together.

`enqueue_on_commit(task, *args)` stores an outbox row in the caller's transaction and
publishes it once that transaction commits. If the broker is down at that moment the
customer's request still succeeds; the row stays pending and `dispatch_pending` (a beat
task every minute) publishes it when the broker is back. Tasks are idempotent, so the
rare double publish (a crash between publishing and marking sent) is harmless.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from celery import Task
from django.db import transaction
from django.utils import timezone

from outbox.models import OutboxMessage
from portal.celery import app

logger = logging.getLogger(__name__)

# Rows younger than this are left to their own on_commit publish.
DISPATCH_GRACE = timedelta(seconds=30)


def enqueue_on_commit(task: Task, *args: Any) -> None:
    """Run `task(*args)` after the current transaction commits, surviving a broker outage."""
    if app.conf.task_always_eager:
        # No broker (development, tests): nothing can be lost, run it in-process on commit.
        transaction.on_commit(lambda: task.delay(*args))
        return
    message = OutboxMessage.objects.create(task_name=task.name, args=list(args))
    transaction.on_commit(lambda: publish(message_id=message.pk))


def publish(*, message_id: int, now: datetime | None = None) -> bool:
    """Send one pending message to the broker; True when it was sent (now or before)."""
    message = OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True).first()
    if message is None:
        return True
    try:
        # retry=False: fail fast when the broker is down, the dispatcher will try again.
        app.send_task(message.task_name, args=message.args, retry=False)
    except Exception as error:
        OutboxMessage.objects.filter(pk=message.pk).update(
            attempts=message.attempts + 1, last_error=f"{type(error).__name__}: {error}"[:2000]
        )
        logger.warning("Could not publish %s yet: %s", message, error)
        return False
    OutboxMessage.objects.filter(pk=message.pk).update(
        sent_at=now or timezone.now(), attempts=message.attempts + 1, last_error=""
    )
    return True


def dispatch_pending(*, now: datetime | None = None, limit: int = 500) -> int:
    """Publish messages whose on-commit publish failed; returns how many were sent."""
    now = now or timezone.now()
    ids = list(
        OutboxMessage.objects.filter(sent_at__isnull=True, created_at__lte=now - DISPATCH_GRACE)
        .order_by("created_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    return sum(1 for message_id in ids if publish(message_id=message_id, now=now))


def purge_sent(*, now: datetime | None = None, older_than: timedelta = timedelta(days=7)) -> int:
    now = now or timezone.now()
    deleted, _ = OutboxMessage.objects.filter(sent_at__lt=now - older_than).delete()
    return deleted
