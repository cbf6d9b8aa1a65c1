"""Billing background work: the monthly billing run, the processor forgets removed methods,
pending payments finish, the daily reminders (invoice due, card expiring)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from billing.services import collection, dunning, reminders
from billing.services import run as billing_runs
from billing.services.payment_methods import detach_payment_method
from billing.services.payments import complete_payment
from portal.retries import retry_policy

# A database blip is worth another try; the run carries on where its last chunk committed.
RUN_RETRY_POLICY = retry_policy(backoff=30, backoff_max=15 * 60, max_retries=5)


@shared_task(name="billing.tasks.billing_run", **RUN_RETRY_POLICY)
def billing_run() -> int:
    """Beat, on the 1st at 06:00: bill the month before. Returns the invoices of the run."""
    return billing_runs.run_billing(now=timezone.now()).invoices_created


@shared_task(name="billing.tasks.resume_billing_run_task", **RUN_RETRY_POLICY)
def resume_billing_run_task(billing_run_id: int) -> None:
    """Carry on with a run that stopped halfway (the sweep found it)."""
    billing_runs.resume_billing_run(run_id=billing_run_id, now=timezone.now())


# The processor's outage as much as ours: any error is retried, for up to a few hours.
@shared_task(
    name="billing.tasks.detach_payment_method_task",
    **retry_policy(backoff=30, backoff_max=3600, max_retries=8, retry_on=(Exception,)),
)
def detach_payment_method_task(processor_reference: str) -> None:
    # Takes the reference, not an id: the row is already gone when this runs.
    detach_payment_method(processor_reference=processor_reference)


@shared_task(
    name="billing.tasks.complete_payment_task",
    **retry_policy(backoff=30, backoff_max=3600, max_retries=8, retry_on=(Exception,)),
)
def complete_payment_task(payment_id: int) -> None:
    """Finish a payment left pending (a crash mid-charge); finishing one twice is harmless."""
    complete_payment(payment_id=payment_id)


REMINDER_RETRY_POLICY = retry_policy(backoff=30, backoff_max=15 * 60, max_retries=5)


# A task's name is what beat and the broker carry, so these keep the names they had when the
# reminders were written in notifications: a schedule or a message already out still finds them.
@shared_task(name="notifications.tasks.send_invoice_due_reminders", **REMINDER_RETRY_POLICY)
def send_invoice_due_reminders() -> int:
    return reminders.send_invoice_due_reminders()


@shared_task(
    name="notifications.tasks.send_payment_method_expiring_reminders", **REMINDER_RETRY_POLICY
)
def send_payment_method_expiring_reminders() -> int:
    return reminders.send_payment_method_expiring_reminders()


@shared_task(name="billing.tasks.collect_payments", **RUN_RETRY_POLICY)
def collect_payments() -> int:
    """Beat, daily at 09:00: the automatic charges due now and their retries."""
    return collection.collect_payments(now=timezone.now())


@shared_task(name="billing.tasks.suspend_overdue", **RUN_RETRY_POLICY)
def suspend_overdue() -> int:
    """Beat, daily: suspension warnings, suspensions, and the restore backstop."""
    return dunning.suspend_overdue(now=timezone.now())


@shared_task(name="billing.tasks.restore_services_task", **RUN_RETRY_POLICY)
def restore_services_task(customer_id: int) -> int:
    """After a payment commits: the customer's services come back if nothing is overdue."""
    return dunning.restore_if_settled(customer_id=customer_id, now=timezone.now())
