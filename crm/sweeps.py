"""CRM events the sweep processes: still `received` well after their processing should have
run (its task was lost with the broker, or its worker was killed)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet

from crm.models import CrmEvent, CrmEventState
from crm.tasks import process_crm_event_task
from outbox.sweeps import Sweep, register

# Never tried at all: the task runs within seconds of the acknowledgement.
NEVER_TRIED_AFTER = timedelta(minutes=10)
# Tried and failed: its own retries take about half an hour (crm.tasks).
RETRYING_AFTER = timedelta(hours=1)


def unprocessed_events(now: datetime) -> QuerySet[CrmEvent]:
    return CrmEvent.objects.filter(state=CrmEventState.RECEIVED).filter(
        Q(attempts=0, received_at__lt=now - NEVER_TRIED_AFTER)
        | Q(received_at__lt=now - RETRYING_AFTER)
    )


register(
    Sweep(
        name="crm.events",
        label="CRM event",
        model=CrmEvent,
        unfinished=unprocessed_events,
        task=process_crm_event_task,
        order_by="received_at",
        retry_after=RETRYING_AFTER,
    )
)
