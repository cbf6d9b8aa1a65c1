"""Payments the sweep finishes: still `pending` well after the request that started them (a
crash mid-charge, or their task lost with the broker). Finishing one charges nothing twice:
the processor answers the same key with the same charge
(billing.services.payments.complete_payment).

Billing runs too: one still running with no chunk committed for a while stopped (its worker
killed, its task lost); carrying on bills no one twice (billing.services.run)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import QuerySet

from billing.models import BillingRun, BillingRunStatus, Payment, PaymentStatus
from billing.tasks import complete_payment_task, resume_billing_run_task
from outbox.sweeps import Sweep, register

# A payment is finished within its request, in seconds.
STALE_AFTER = timedelta(minutes=10)
# A run commits a chunk every few seconds.
RUN_STALE_AFTER = timedelta(minutes=10)


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


def stopped_billing_runs(now: datetime) -> QuerySet[BillingRun]:
    return BillingRun.objects.filter(
        status=BillingRunStatus.RUNNING, updated_at__lt=now - RUN_STALE_AFTER
    )


register(
    Sweep(
        name="billing.runs",
        label="Billing run",
        model=BillingRun,
        unfinished=stopped_billing_runs,
        task=resume_billing_run_task,
        order_by="updated_at",
    )
)
