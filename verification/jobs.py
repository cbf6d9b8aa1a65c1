"""Residence card verification's periodic jobs (portal.jobs)."""

from __future__ import annotations

from portal.jobs import Job, register
from verification.services import reminders

register(
    Job(
        name="residence_card_expiring_reminders",
        description="Remind customers whose residence card expires soon or has expired.",
        task="notifications.tasks.send_residence_card_expiring_reminders",
        run=lambda now: reminders.send_residence_card_expiring_reminders(now=now),
    )
)
