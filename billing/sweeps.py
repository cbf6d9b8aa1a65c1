"""Payments the sweep finishes: still `pending` well after the request that started them (a
crash mid-charge, or their task lost with the broker). Finishing one charges nothing twice:
the processor answers the same key with the same charge
(billing.services.payments.complete_payment)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import QuerySet

from billing.models import Payment, PaymentStatus
from billing.tasks import complete_payment_task
from outbox.sweeps import Sweep, register

# A payment is finished within its request, in seconds.
STALE_AFTER = timedelta(minutes=10)


def pending_payments(now: datetime) -> QuerySet[Payment]:
    return Payment.objects.filter(status=PaymentStatus.PENDING, created_at__lt=now - STALE_AFTER)


register(
    Sweep(
        name="billing.payments",
        label="Payment",
        model=Payment,
        unfinished=pending_payments,
        task=complete_payment_task,
        order_by="created_at",
        # Its task retries for longer than the others (billing.tasks).
        retry_after=timedelta(hours=1),
    )
)
