"""Beat tasks that keep the outbox moving."""

from __future__ import annotations

from celery import shared_task

from outbox import services


@shared_task(name="outbox.tasks.dispatch_outbox")
def dispatch_outbox() -> int:
    return services.dispatch_pending()


@shared_task(name="outbox.tasks.purge_sent_outbox")
def purge_sent_outbox() -> int:
    return services.purge_sent()
