"""Billing background work: telling the payment processor about removed methods."""

from __future__ import annotations

from celery import shared_task

from billing import services


@shared_task(
    name="billing.tasks.detach_payment_method_task",
    autoretry_for=(Exception,),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=8,
)
def detach_payment_method_task(processor_reference: str) -> None:
    # Takes the reference, not an id: the row is already gone when this runs.
    services.detach_payment_method(processor_reference=processor_reference)
