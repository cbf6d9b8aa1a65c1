"""Background work for the CRM inbox: applying each event."""

from __future__ import annotations

import logging

from celery import Task, shared_task
from django.db import DatabaseError
from django.utils import timezone

from crm import services
from portal.retries import backoff, backoff_window

logger = logging.getLogger(__name__)

CRM_EVENT_MAX_RETRIES = 6


def crm_event_retry_delay(retries: int) -> int:
    """Seconds before the next attempt: 30 s doubling to at most an hour (about 30 min in all).

    Without jitter: one event's retries never come back in a crowd. The task retries by
    hand because it records each failed attempt on the event, and the last one as final.
    """
    return backoff(retries, base=30, maximum=3600, jitter=False)


# The name it had before the inbox had its own app: queued messages and outbox rows keep it.
@shared_task(
    bind=True,
    name="accounts.tasks.process_crm_event_task",
    max_retries=CRM_EVENT_MAX_RETRIES,
    acks_late=True,
    retry_window=backoff_window(base=30, maximum=3600, retries=CRM_EVENT_MAX_RETRIES),
)
def process_crm_event_task(self: Task, crm_event_id: int) -> None:
    try:
        services.process_crm_event(crm_event_id=crm_event_id, now=timezone.now())
    except Exception as error:
        final = self.request.retries >= CRM_EVENT_MAX_RETRIES
        try:
            services.record_crm_event_failure(
                crm_event_id=crm_event_id,
                error=f"{type(error).__name__}: {error}",
                final=final,
                now=timezone.now(),
            )
        except DatabaseError:
            # The database itself is down (a restart): the attempt cannot be counted now,
            # but the event must not be dropped, so it is retried all the same.
            logger.warning("CRM event %s: could not record the failed attempt", crm_event_id)
        if final:
            # Kept as `failed` with its error: support re-plays it from the admin.
            logger.exception("CRM event %s failed for good", crm_event_id)
            return
        countdown = crm_event_retry_delay(self.request.retries)
        raise self.retry(exc=error, countdown=countdown) from error
