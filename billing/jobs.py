"""Billing's periodic jobs (portal.jobs): what beat runs and `run_job` runs for a moment."""

from __future__ import annotations

from datetime import datetime

from billing.services import collection, dunning, reminders
from billing.services.run import run_billing
from portal.jobs import Job, register


def _billing_run(now: datetime) -> int:
    return run_billing(now=now).invoices_created


for job in (
    Job(
        name="billing_run",
        description="Issue the monthly invoices of the month before.",
        task="billing.tasks.billing_run",
        run=_billing_run,
    ),
    Job(
        name="invoice_due_reminders",
        description="Remind customers of unpaid invoices due within 7 days or overdue.",
        task="notifications.tasks.send_invoice_due_reminders",
        run=lambda now: reminders.send_invoice_due_reminders(now=now),
    ),
    Job(
        name="payment_method_expiring_reminders",
        description="Remind customers whose card stops working before the end of next month.",
        task="notifications.tasks.send_payment_method_expiring_reminders",
        run=lambda now: reminders.send_payment_method_expiring_reminders(now=now),
    ),
    Job(
        name="collect_payments",
        description="Charge the default card of invoices due today, and retry failed charges.",
        task="billing.tasks.collect_payments",
        run=lambda now: collection.collect_payments(now=now),
    ),
    Job(
        name="suspend_overdue",
        description="Warn, then suspend, customers with an invoice long overdue; restore payers.",
        task="billing.tasks.suspend_overdue",
        run=lambda now: dunning.suspend_overdue(now=now),
    ),
):
    register(job)
