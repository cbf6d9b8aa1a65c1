"""Billing's periodic jobs (portal.jobs): what beat runs and `run_job` runs for a moment."""

from __future__ import annotations

from datetime import datetime

from billing.billing_run import run_billing
from portal.jobs import Job, register


def _billing_run(now: datetime) -> int:
    return run_billing(now=now).invoices_created


register(
    Job(
        name="billing_run",
        description="Issue the monthly invoices of the month before.",
        task="billing.tasks.billing_run",
        run=_billing_run,
    )
)
