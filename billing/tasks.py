"""Billing background work: the processor forgets removed methods; pending payments finish."""

from __future__ import annotations

from celery import shared_task

from billing import services
from portal.retries import retry_policy


# The processor's outage as much as ours: any error is retried, for up to a few hours.
@shared_task(
    name="billing.tasks.detach_payment_method_task",
    **retry_policy(backoff=30, backoff_max=3600, max_retries=8, retry_on=(Exception,)),
)
def detach_payment_method_task(processor_reference: str) -> None:
    # Takes the reference, not an id: the row is already gone when this runs.
    services.detach_payment_method(processor_reference=processor_reference)


@shared_task(
    name="billing.tasks.complete_payment_task",
    **retry_policy(backoff=30, backoff_max=3600, max_retries=8, retry_on=(Exception,)),
)
def complete_payment_task(payment_id: int) -> None:
    """Finish a payment left pending (a crash mid-charge); finishing one twice is harmless."""
    services.complete_payment(payment_id=payment_id)
