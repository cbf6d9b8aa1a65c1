"""The daily residence card reminders."""

from __future__ import annotations

from celery import shared_task

from portal.retries import retry_policy
from verification.services import reminders

RETRY_POLICY = retry_policy(backoff=30, backoff_max=15 * 60, max_retries=5)


# A task's name is what beat and the broker carry, so this keeps the name it had when the
# reminders were written in notifications: a schedule or a message already out still finds it.
@shared_task(name="notifications.tasks.send_residence_card_expiring_reminders", **RETRY_POLICY)
def send_residence_card_expiring_reminders() -> int:
    return reminders.send_residence_card_expiring_reminders()
