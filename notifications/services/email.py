"""The emails notifications send: recorded with their notification, sent once after the commit,
and queued again when a task was lost."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from accounts.names import name_for_reader
from notifications import catalog, selectors
from notifications.models import Notification, NotificationEmail
from outbox.services import enqueue_on_commit

EMAIL_DOMAIN = "portal.invalid"
# An email still unsent this long after it was queued was lost on the way: queue it again,
# for a day; after that it is too late to be useful.
EMAIL_RETRY_AFTER = timedelta(minutes=15)
EMAIL_GIVE_UP_AFTER = timedelta(days=1)


def email_key(notification: Notification) -> str:
    """What an email is sent once for: the notification, or a reminder's subject and severity."""
    if catalog.get_template(notification.type).daily:
        return (
            f"{notification.user_id}:{notification.type}:{notification.source_id}"
            f":{notification.severity}"
        )
    return f"notification:{notification.pk}"


def queue_notification_emails(notifications: Sequence[Notification], *, now: datetime) -> int:
    """Record the emails these new notifications send, and send them after the commit.

    Called by notify() and notify_many() inside their transaction (and their lock), so an
    email exists exactly when its notification does. Returns how many were queued.
    """
    from notifications import tasks

    if not notifications:
        return 0
    emailed = selectors.users_who_want_email(notifications=notifications)
    wanted = {
        email_key(notification): notification
        for notification in notifications
        if notification.user_id in emailed[(notification.category, notification.severity)]
    }
    if not wanted:
        return 0
    already = set(
        NotificationEmail.objects.filter(key__in=list(wanted)).values_list("key", flat=True)
    )
    records = NotificationEmail.objects.bulk_create(
        [
            NotificationEmail(
                key=key,
                user_id=notification.user_id,
                notification=notification,
                created_at=now,
            )
            for key, notification in wanted.items()
            if key not in already
        ]
    )
    if records:
        enqueue_on_commit(tasks.send_notification_emails, [record.pk for record in records])
    return len(records)


def _absolute(path: str) -> str:
    return f"{settings.PORTAL_URL}{path}" if path.startswith("/") else path


def build_notification_email(*, record: NotificationEmail) -> EmailMultiAlternatives | None:
    """The email of one notification, in the customer's language now; None: nothing to send."""
    notification = record.notification
    user = record.user
    if notification is None or not user.is_active or not user.email:
        return None
    customer = getattr(user, "customer", None)
    language = customer.language if customer is not None else settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "name": name_for_reader(customer.name, language) if customer is not None else "",
            "title": notification.title,
            "message": notification.message,
            "action_label": notification.action_label,
            "action_url": _absolute(notification.action_url) if notification.action_url else "",
            "preferences_url": _absolute(reverse("notification-settings")),
            "severity": notification.severity,
            "note": catalog.email_note(notification.type),
        }
        subject = str(notification.title)
        text = render_to_string("notifications/email/notification.txt", context)
        html = render_to_string("notifications/email/notification.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[user.email],
        # The same Message-ID on a resend lets mail systems drop the copy.
        headers={"Message-ID": f"<notification-email-{record.pk}@{EMAIL_DOMAIN}>"},
    )
    message.attach_alternative(html, "text/html")
    return message


def send_notification_email(*, email_id: int, now: datetime | None = None) -> bool:
    """Send one recorded email unless it was sent; True when this call sent it.

    The row stays locked while the mail goes out, so a duplicate task (a retry, a redelivery)
    waits and then finds it sent. A failed send is recorded and raised, for the task to
    retry. Only a process killed between the server's acceptance and the commit can send
    it twice; the unchanged Message-ID lets mail systems drop that copy.
    """
    failure: Exception | None = None
    with transaction.atomic():
        record = (
            NotificationEmail.objects.select_for_update(of=("self",))
            .select_related("user__customer", "notification")
            .filter(pk=email_id, sent_at__isnull=True)
            .first()
        )
        if record is None:
            return False
        message = build_notification_email(record=record)
        record.attempts += 1
        if message is not None:
            try:
                message.send()
            except OSError as error:  # smtplib's errors are OSErrors, so is a refused connection
                failure = error
                record.last_error = f"{type(error).__name__}: {error}"[:2000]
        if failure is None:
            record.sent_at = now or timezone.now()
            record.last_error = "" if message is not None else "Nothing to send."
        record.save(update_fields=["attempts", "sent_at", "last_error"])
    if failure is not None:
        raise failure
    return message is not None


def retry_unsent_notification_emails(*, now: datetime | None = None, limit: int = 500) -> int:
    """Enqueue again the emails still unsent a while after they were queued (a lost task)."""
    from notifications import tasks

    now = now or timezone.now()
    ids = list(
        NotificationEmail.objects.filter(
            sent_at__isnull=True,
            created_at__lte=now - EMAIL_RETRY_AFTER,
            created_at__gt=now - EMAIL_GIVE_UP_AFTER,
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    if ids:
        with transaction.atomic():
            enqueue_on_commit(tasks.send_notification_emails, ids)
    return len(ids)
