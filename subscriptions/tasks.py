"""Background work for cancellations: the notification and the daily completion run."""

from __future__ import annotations

from celery import shared_task

from portal.retries import retry_policy
from subscriptions import services

# A lost connection or a deadlock is worth another try; anything else is a bug to look at.
# Five retries over up to two and a half minutes (5 s doubling, full jitter): long enough for
# a database restart or failover.
RETRY_POLICY = retry_policy(backoff=5, backoff_max=600, max_retries=5)


@shared_task(name="subscriptions.tasks.send_cancellation_scheduled_notification", **RETRY_POLICY)
def send_cancellation_scheduled_notification(cancellation_request_id: int) -> None:
    services.notify_cancellation_scheduled(cancellation_request_id=cancellation_request_id)


@shared_task(name="subscriptions.tasks.complete_due_cancellations", **RETRY_POLICY)
def complete_due_cancellations() -> int:
    return services.complete_due_cancellations()
