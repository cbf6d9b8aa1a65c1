"""Beat tasks that keep the outbox moving, and the sweep that enqueues lost work again."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from outbox import services, sweeps


@shared_task(name="outbox.tasks.dispatch_outbox")
def dispatch_outbox() -> int:
    return services.dispatch_pending()


@shared_task(name="outbox.tasks.purge_sent_outbox")
def purge_sent_outbox() -> int:
    return services.purge_sent()


@shared_task(name="outbox.tasks.sweep_unfinished_work")
def sweep_unfinished_work() -> dict[str, int]:
    return sweeps.sweep_unfinished_work(now=timezone.now())
