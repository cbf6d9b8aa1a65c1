"""The subscriptions' periodic job (portal.jobs): ending services whose last day has passed."""

from __future__ import annotations

from portal.jobs import Job, register
from subscriptions import services

register(
    Job(
        name="complete_due_cancellations",
        description="End the services whose scheduled cancellation's last day has passed.",
        task="subscriptions.tasks.complete_due_cancellations",
        run=lambda now: services.complete_due_cancellations(now=now),
    )
)
