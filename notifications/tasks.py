"""Celery tasks for notifications: emails, push, the purge and announcements (the reminders
are their subjects' tasks: `billing.tasks`, `verification.tasks`).

Each task calls one service; every service is safe to run twice. A database that is
briefly unreachable is retried with exponential backoff, a bounded number of times.
"""

from __future__ import annotations

import math

from celery import Task, shared_task

from notifications import fcm, push
from notifications.services import announcements, email, notify
from portal.retries import backoff, retry_policy

RETRY_POLICY = retry_policy(backoff=30, backoff_max=15 * 60, max_retries=5)


@shared_task(name="notifications.tasks.purge_expired_notifications", **RETRY_POLICY)
def purge_expired_notifications() -> int:
    return notify.purge_expired_notifications()


@shared_task(name="notifications.tasks.send_announcement", **RETRY_POLICY)
def send_announcement(announcement_id: int) -> None:
    announcements.send_announcement(announcement_id=announcement_id)


# smtplib's errors and a refused connection are OSErrors. A mail server that is down for
# hours is caught by the sweep below once these retries are spent.
EMAIL_RETRY_POLICY = {**RETRY_POLICY, "autoretry_for": (*RETRY_POLICY["autoretry_for"], OSError)}


@shared_task(name="notifications.tasks.send_notification_emails", **EMAIL_RETRY_POLICY)
def send_notification_emails(email_ids: list[int]) -> int:
    """Send each recorded email once; a retry skips the ones already sent.

    One failing address does not hold back the others: all are tried, then the first
    failure makes the task retry.
    """
    sent = 0
    failures: list[OSError] = []
    for email_id in email_ids:
        try:
            sent += email.send_notification_email(email_id=email_id)
        except OSError as error:
            failures.append(error)
    if failures:
        raise failures[0]
    return sent


@shared_task(name="notifications.tasks.retry_notification_emails", **RETRY_POLICY)
def retry_notification_emails() -> int:
    return email.retry_unsent_notification_emails()


@shared_task(name="notifications.tasks.queue_due_announcements", **RETRY_POLICY)
def queue_due_announcements() -> int:
    return announcements.queue_due_announcements()


PUSH_MAX_RETRIES = 8


@shared_task(
    bind=True,
    name="notifications.tasks.send_push_notifications",
    **{**RETRY_POLICY, "max_retries": PUSH_MAX_RETRIES},
)
def send_push_notifications(self: Task, delivery_ids: list[int]) -> int:
    """Push each recorded delivery once; a retry skips the ones already sent.

    When FCM says to slow down (429) or is in trouble (5xx, unreachable), the rest of the
    batch waits too: the task comes back after FCM's Retry-After, or after its own
    exponential backoff when FCM named no time, whichever is longer.
    """
    sent = 0
    for delivery_id in delivery_ids:
        try:
            sent += push.send_push(delivery_id=delivery_id)
        except fcm.PushRetryLater as error:
            countdown = push_retry_countdown(error, self.request.retries)
            raise self.retry(exc=error, countdown=countdown) from error
    return sent


def push_retry_countdown(error: fcm.PushRetryLater, retries: int) -> int:
    """Seconds until a push task tries again: at least FCM's Retry-After, and backing off."""
    waited = backoff(retries, base=30, maximum=30 * 60)
    return max(math.ceil(error.retry_after or 0), waited)


@shared_task(name="notifications.tasks.retry_push_notifications", **RETRY_POLICY)
def retry_push_notifications() -> int:
    return push.retry_unsent_push_notifications()
