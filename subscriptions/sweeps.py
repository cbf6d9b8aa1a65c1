"""Cancellations the sweep finishes: scheduled without the CANCELLATION_SCHEDULED
notification their task sends (the task was lost with the broker)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import CharField, Exists, OuterRef, QuerySet
from django.db.models.functions import Cast

from notifications.models import Notification
from outbox.sweeps import Sweep, register
from subscriptions.models import CancellationRequest, CancellationStatus
from subscriptions.tasks import send_cancellation_scheduled_notification

# The notification task retries for a few minutes (subscriptions.tasks).
STALE_AFTER = timedelta(minutes=10)


def unannounced_cancellations(now: datetime) -> QuerySet[CancellationRequest]:
    announced = Notification.objects.filter(
        user_id=OuterRef("customer__user_id"),
        type="CANCELLATION_SCHEDULED",
        source_id=Cast(OuterRef("pk"), output_field=CharField()),
    )
    return CancellationRequest.objects.filter(
        status=CancellationStatus.SCHEDULED, requested_at__lt=now - STALE_AFTER
    ).exclude(Exists(announced))


register(
    Sweep(
        name="subscriptions.cancellation_scheduled_notification",
        label="Cancellation notification",
        model=CancellationRequest,
        unfinished=unannounced_cancellations,
        task=send_cancellation_scheduled_notification,
        order_by="requested_at",
        retry_after=STALE_AFTER,
    )
)
