"""The outbox's periodic jobs (portal.jobs): publishing what is pending, the sweep, the purge."""

from __future__ import annotations

from outbox import services, sweeps
from portal.jobs import Job, register

for job in (
    Job(
        name="dispatch_outbox",
        description="Publish the tasks whose publish after commit failed (a broker outage).",
        task="outbox.tasks.dispatch_outbox",
        run=lambda now: services.dispatch_pending(now=now),
    ),
    Job(
        name="sweep_unfinished_work",
        description="Enqueue again the work the database says is unfinished for too long.",
        task="outbox.tasks.sweep_unfinished_work",
        run=lambda now: sweeps.sweep_unfinished_work(now=now),
    ),
    Job(
        name="purge_sent_outbox",
        description="Delete outbox messages published more than 7 days ago.",
        task="outbox.tasks.purge_sent_outbox",
        run=lambda now: services.purge_sent(now=now),
    ),
):
    register(job)
