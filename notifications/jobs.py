"""The notifications' periodic jobs (portal.jobs): reminders, retries, the purge, announcements."""

from __future__ import annotations

from notifications import push, services
from portal.jobs import Job, register

for job in (
    Job(
        name="invoice_due_reminders",
        description="Remind customers of unpaid invoices due within 7 days or overdue.",
        task="notifications.tasks.send_invoice_due_reminders",
        run=lambda now: services.send_invoice_due_reminders(now=now),
    ),
    Job(
        name="payment_method_expiring_reminders",
        description="Remind customers whose card stops working before the end of next month.",
        task="notifications.tasks.send_payment_method_expiring_reminders",
        run=lambda now: services.send_payment_method_expiring_reminders(now=now),
    ),
    Job(
        name="residence_card_expiring_reminders",
        description="Remind customers whose residence card expires soon or has expired.",
        task="notifications.tasks.send_residence_card_expiring_reminders",
        run=lambda now: services.send_residence_card_expiring_reminders(now=now),
    ),
    Job(
        name="retry_notification_emails",
        description="Send again the notification emails still unsent after 15 minutes.",
        task="notifications.tasks.retry_notification_emails",
        run=lambda now: services.retry_unsent_notification_emails(now=now),
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
        run=lambda now: services.purge_expired_notifications(now=now),
    ),
    Job(
        name="queue_due_announcements",
        description="Send the scheduled announcements whose time has come.",
        task="notifications.tasks.queue_due_announcements",
        run=lambda now: services.queue_due_announcements(now=now),
    ),
):
    register(job)
