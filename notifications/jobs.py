"""The notifications' periodic jobs (portal.jobs): retries, the purge, announcements."""

from __future__ import annotations

from notifications import push
from notifications.services import announcements, email, notify
from portal.jobs import Job, register

for job in (
    Job(
        name="retry_notification_emails",
        description="Send again the notification emails still unsent after 15 minutes.",
        task="notifications.tasks.retry_notification_emails",
        run=lambda now: email.retry_unsent_notification_emails(now=now),
    ),
    Job(
        name="retry_push_notifications",
        description="Send again the pushes still pending after their retry time.",
        task="notifications.tasks.retry_push_notifications",
        run=lambda now: push.retry_unsent_push_notifications(now=now),
    ),
    Job(
        name="purge_expired_notifications",
        description="Delete notifications expired more than 30 days ago.",
        task="notifications.tasks.purge_expired_notifications",
        run=lambda now: notify.purge_expired_notifications(now=now),
    ),
    Job(
        name="queue_due_announcements",
        description="Send the scheduled announcements whose time has come.",
        task="notifications.tasks.queue_due_announcements",
        run=lambda now: announcements.queue_due_announcements(now=now),
    ),
):
    register(job)
