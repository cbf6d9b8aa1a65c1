"""Billing's periodic jobs (portal.jobs): what beat runs and `run_job` runs for a moment."""

from __future__ import annotations

from datetime import datetime

from billing.services import reminders
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
):
    register(job)
