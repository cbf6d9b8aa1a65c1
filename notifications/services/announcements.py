"""Announcements staff write for customers: scheduling, queueing and sending them in batches."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from notifications import selectors
from notifications.models import Announcement, AnnouncementAudience, AnnouncementStatus
from notifications.services.notify import notify_many
from outbox.services import enqueue_on_commit
from portal.api_errors import ApplicationError
from portal.text import Text
from staff.services import record_staff_action

ANNOUNCEMENT_BATCH_SIZE = 1000
ANNOUNCEMENT_SCHEDULE_HORIZON = timedelta(days=90)


def _lock_unsent_announcement(announcement_id: int) -> Announcement:
    """The announcement, locked, if it is still a draft or scheduled; else `already sent`."""
    announcement = Announcement.objects.select_for_update().get(pk=announcement_id)
    if announcement.status not in (AnnouncementStatus.DRAFT, AnnouncementStatus.SCHEDULED):
        raise ApplicationError(
            "announcement_already_sent",
            _("“%(title)s” was already sent.") % {"title": announcement.title},
        )
    if (
        announcement.audience == AnnouncementAudience.SELECTED
        and not announcement.customers.exists()
    ):
        raise ApplicationError(
            "validation_error",
            _("Choose at least one customer, or send it to every customer."),
            fields={"customers": [_("Choose at least one customer.")]},
        )
    return announcement


def _record_announcement(
    announcement: Announcement, actor: User | None, action: str, *, now: datetime, **details: Any
) -> None:
    if actor is not None:
        record_staff_action(
            actor=actor,
            action=action,
            customer=None,
            subject=announcement,
            subject_label=announcement.title,
            details=details,
            now=now,
        )


def queue_announcement(
    *, announcement_id: int, actor: User | None = None, now: datetime | None = None
) -> Announcement:
    """Freeze a draft (or a scheduled announcement whose time came) and hand it to the
    sending task. A staff member's confirmation (`actor`) is logged with the count."""
    from notifications import tasks

    now = now or timezone.now()
    with transaction.atomic():
        announcement = _lock_unsent_announcement(announcement_id)
        recipients = selectors.announcement_recipients(announcement=announcement)
        announcement.status = AnnouncementStatus.QUEUED
        announcement.queued_at = now
        announcement.recipient_count = recipients.count()
        announcement.save(update_fields=["status", "queued_at", "recipient_count"])
        _record_announcement(
            announcement,
            actor,
            "announcement_queued",
            now=now,
            recipients=announcement.recipient_count,
        )
        enqueue_on_commit(tasks.send_announcement, announcement.pk)
    return announcement


def announcement_context(announcement: Announcement) -> dict[str, Any]:
    """Staff write an announcement in English and, optionally, Japanese; each is kept."""
    return {
        "title": Text(en=announcement.title, ja=announcement.title_ja),
        "message": Text(en=announcement.message, ja=announcement.message_ja),
        "announcement_id": announcement.pk,
    }


def schedule_announcement(
    *, announcement_id: int, send_at: datetime, actor: User, now: datetime
) -> Announcement:
    """Send a draft later (or move a scheduled one): a periodic task queues it when due."""
    if not now < send_at <= now + ANNOUNCEMENT_SCHEDULE_HORIZON:
        message = _("Choose a time in the future, at most 90 days ahead.")
        raise ApplicationError("validation_error", message, fields={"sendAt": [message]})
    with transaction.atomic():
        announcement = _lock_unsent_announcement(announcement_id)
        announcement.status = AnnouncementStatus.SCHEDULED
        announcement.scheduled_for = send_at
        announcement.save(update_fields=["status", "scheduled_for"])
        _record_announcement(
            announcement, actor, "announcement_scheduled", now=now, sendAt=send_at.isoformat()
        )
    return announcement


def unschedule_announcement(*, announcement_id: int, actor: User, now: datetime) -> Announcement:
    """Take a scheduled announcement back to a draft; a draft stays a draft."""
    with transaction.atomic():
        announcement = Announcement.objects.select_for_update().get(pk=announcement_id)
        if announcement.status != AnnouncementStatus.SCHEDULED:
            return announcement
        announcement.status = AnnouncementStatus.DRAFT
        announcement.scheduled_for = None
        announcement.save(update_fields=["status", "scheduled_for"])
        _record_announcement(announcement, actor, "announcement_unscheduled", now=now)
    return announcement


def queue_due_announcements(*, now: datetime | None = None) -> int:
    """Queue every scheduled announcement whose time has come (run every minute)."""
    now = now or timezone.now()
    due = Announcement.objects.filter(
        status=AnnouncementStatus.SCHEDULED, scheduled_for__lte=now
    ).order_by("scheduled_for", "pk")
    queued = 0
    for announcement_id in due.values_list("pk", flat=True):
        try:
            queue_announcement(announcement_id=announcement_id, now=now)
        except ApplicationError:
            continue  # sent meanwhile, or its customers were removed: it stays for staff
        queued += 1
    return queued


def send_announcement(
    *,
    announcement_id: int,
    batch_size: int = ANNOUNCEMENT_BATCH_SIZE,
    now: datetime | None = None,
) -> Announcement:
    """Send a queued announcement in batches: one bulk insert per batch of recipients.

    Each batch commits with the cursor and the progress counts, so the admin sees progress
    and a re-run (a retry, a redelivered task) resumes where it stopped instead of
    sending twice. Customers who already have it inside the window are skipped.
    """
    now = now or timezone.now()
    while True:
        with transaction.atomic():
            announcement = Announcement.objects.select_for_update().get(pk=announcement_id)
            if announcement.status in (
                AnnouncementStatus.DRAFT,
                AnnouncementStatus.SCHEDULED,
                AnnouncementStatus.SENT,
            ):
                return announcement
            if announcement.status == AnnouncementStatus.QUEUED:
                announcement.status = AnnouncementStatus.SENDING
                announcement.started_at = timezone.now()
            batch = list(
                selectors.announcement_recipients(announcement=announcement)
                .filter(pk__gt=announcement.last_recipient_id)
                .values_list("pk", flat=True)[:batch_size]
            )
            if not batch:
                announcement.status = AnnouncementStatus.SENT
                announcement.finished_at = timezone.now()
                announcement.recipient_count = announcement.sent_count + announcement.skipped_count
                announcement.save()
                return announcement
            created = notify_many(
                user_ids=batch,
                type="SYSTEM_ANNOUNCEMENT",
                source_id=announcement.pk,
                context=announcement_context(announcement),
                now=now,
            )
            announcement.sent_count += created
            announcement.skipped_count += len(batch) - created
            announcement.last_recipient_id = batch[-1]
            announcement.save()
