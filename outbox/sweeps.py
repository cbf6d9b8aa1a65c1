"""The sweep: work whose state in the database says it is unfinished is enqueued again.

A message in the broker can be lost (a broker restarted without persistence, a worker
killed hard); the database is the truth. Each app says what "unfinished for too long" means
for its own rows in its `sweeps.py` (found and imported when the apps are ready) and names
the idempotent task that finishes one; `sweep_unfinished_work` (a beat task) enqueues them
again through the outbox, in bounded batches, oldest first. Running it again is always
safe: a row enqueued recently is left to that task for `retry_after`, and a finished row is
simply no longer found. A row the sweep had to enqueue twice or more is "stuck": support sees
it on the admin home (`outbox.selectors.stuck_workflows`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery import Task
from django.conf import settings
from django.db import transaction
from django.db.models import F, Model, QuerySet

from outbox.models import SweepRecord
from outbox.services import enqueue_on_commit
from portal.locks import advisory_xact_lock

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sweep:
    """One kind of unfinished work.

    `unfinished(now)` returns the rows whose state has said "unfinished" for too long at
    `now` (longer than the task's own retries take); `task` is called with a row's id.
    """

    name: str
    label: str
    model: type[Model]
    unfinished: Callable[[datetime], QuerySet[Any]]
    task: Task
    # Oldest first: the field the batch is ordered by.
    order_by: str = "pk"
    # How long a row enqueued by the sweep is left to its task before it is enqueued again.
    retry_after: timedelta = timedelta(minutes=30)


_sweeps: dict[str, Sweep] = {}


def register(sweep: Sweep) -> Sweep:
    _sweeps[sweep.name] = sweep
    return sweep


def registered_sweeps() -> list[Sweep]:
    return sorted(_sweeps.values(), key=lambda sweep: sweep.name)


def get_sweep(name: str) -> Sweep | None:
    return _sweeps.get(name)


def run_sweep(sweep: Sweep, *, now: datetime, batch_size: int) -> int:
    """Enqueue one batch of `sweep`'s unfinished rows; returns how many were enqueued."""
    with transaction.atomic():
        # One sweeper at a time per kind: two beat runs that overlap enqueue nothing twice.
        advisory_xact_lock("outbox.sweep", sweep.name)
        unfinished = sweep.unfinished(now)
        records = SweepRecord.objects.filter(sweep=sweep.name)
        # Finished since they were swept: nothing to remember.
        records.exclude(object_id__in=unfinished.values("pk")).delete()
        recently = records.filter(last_enqueued_at__gt=now - sweep.retry_after)
        ids = list(
            unfinished.exclude(pk__in=recently.values("object_id"))
            .order_by(sweep.order_by, "pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return 0
        known = set(records.filter(object_id__in=ids).values_list("object_id", flat=True))
        records.filter(object_id__in=known).update(attempts=F("attempts") + 1, last_enqueued_at=now)
        SweepRecord.objects.bulk_create(
            SweepRecord(sweep=sweep.name, object_id=pk, first_found_at=now, last_enqueued_at=now)
            for pk in ids
            if pk not in known
        )
        for pk in ids:
            enqueue_on_commit(sweep.task, pk)
    logger.warning("Sweep %s: enqueued %d unfinished rows again: %s", sweep.name, len(ids), ids)
    return len(ids)


def sweep_unfinished_work(*, now: datetime, batch_size: int | None = None) -> dict[str, int]:
    """Run every registered sweep once; how many rows each enqueued again."""
    size = batch_size or settings.SWEEP_BATCH_SIZE
    return {sweep.name: run_sweep(sweep, now=now, batch_size=size) for sweep in registered_sweeps()}
