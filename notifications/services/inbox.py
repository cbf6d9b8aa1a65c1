"""The customer's actions on their notifications: read, seen, archive, snooze, in bulk."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from notifications import selectors
from notifications.models import Notification
from portal.api_errors import ApplicationError

# The snooze choices the API accepts: at least an hour, at most 30 days ahead.
SNOOZE_MIN = timedelta(hours=1)
SNOOZE_MAX = timedelta(days=30)
BULK_MAX = 100
SNOOZE_MORNING = time(9, 0)
BULK_ACTIONS = ("read", "archive")


def mark_read(*, user: User, notification_id: int, now: datetime | None = None) -> Notification:
    """Mark one of the user's notifications read (and seen); reading again keeps the first time."""
    now = now or timezone.now()
    Notification.objects.filter(pk=notification_id, user=user, read_at__isnull=True).update(
        read_at=now, seen_at=Coalesce(F("seen_at"), Value(now))
    )
    return selectors.get_notification_for_user(user=user, notification_id=notification_id)


def mark_all_read(*, user: User, now: datetime | None = None) -> int:
    """Mark every unread visible notification read; returns how many changed."""
    now = now or timezone.now()
    updated = selectors.unread_notifications(user=user, now=now).update(
        read_at=now, seen_at=Coalesce(F("seen_at"), Value(now))
    )
    return updated


def mark_all_seen(*, user: User, now: datetime | None = None) -> int:
    """Opening the bell or the inbox: everything visible is seen; returns how many changed."""
    now = now or timezone.now()
    return selectors.unseen_notifications(user=user, now=now).update(seen_at=now)


def archive(*, user: User, notification_id: int, now: datetime | None = None) -> Notification:
    """Move a notification out of the inbox and the counts; archiving twice keeps the first time.

    `dismiss` of the first API is this, so shipped apps keep working.
    """
    Notification.objects.filter(pk=notification_id, user=user, archived_at__isnull=True).update(
        archived_at=now or timezone.now()
    )
    return selectors.get_notification_for_user(user=user, notification_id=notification_id)


def unarchive(*, user: User, notification_id: int, now: datetime | None = None) -> Notification:
    """Bring an archived notification back to the inbox, as it was (read or not)."""
    Notification.objects.filter(pk=notification_id, user=user, archived_at__isnull=False).update(
        archived_at=None
    )
    return selectors.get_notification_for_user(user=user, notification_id=notification_id)


def dismiss(*, user: User, notification_id: int, now: datetime | None = None) -> None:
    """The first API's final dismiss, kept for shipped apps: it archives."""
    archive(user=user, notification_id=notification_id, now=now)


def snooze(
    *, user: User, notification_id: int, until: datetime, now: datetime | None = None
) -> Notification:
    """Hide a notification until `until`; then it is back in the inbox, unread and unseen.

    Snoozing an archived notification brings it back to the inbox at that time.
    """
    now = now or timezone.now()
    if until < now + SNOOZE_MIN or until > now + SNOOZE_MAX:
        raise ApplicationError(
            "validation_error",
            _("Choose a time between an hour and 30 days from now."),
            fields={"until": [_("Choose a time between an hour and 30 days from now.")]},
        )
    notification = selectors.get_notification_for_user(user=user, notification_id=notification_id)
    changes: dict[str, Any] = {"snoozed_until": until, "archived_at": None}
    if notification.retired_at is None:
        # A retired one stays read: what it was about is settled.
        changes.update(read_at=None, seen_at=None)
    Notification.objects.filter(pk=notification.pk).update(**changes)
    notification.refresh_from_db()
    return notification


def snooze_choice_until(*, choice: str, now: datetime) -> datetime:
    """The page's snooze choices, in Tokyo time: tomorrow at 9:00, or next Monday at 9:00."""
    today = timezone.localdate(now)
    if choice == "tomorrow":
        day = today + timedelta(days=1)
    elif choice == "next_week":
        day = today + timedelta(days=7 - today.weekday())
    else:
        raise ApplicationError(
            "validation_error",
            _("Choose when to be reminded."),
            fields={"choice": [_("Choose tomorrow morning or next week.")]},
        )
    return timezone.make_aware(datetime.combine(day, SNOOZE_MORNING))


def bulk_update(*, user: User, ids: Sequence[int], action: str, now: datetime | None = None) -> int:
    """Read or archive up to 100 of the user's notifications at once; returns how many changed.

    Ids that are not the user's (or do not exist) change nothing, and say nothing either.
    """
    if action not in BULK_ACTIONS:
        raise ApplicationError(
            "validation_error",
            _("Choose what to do: read or archive."),
            fields={"action": [_("Choose read or archive.")]},
        )
    if len(ids) > BULK_MAX:
        raise ApplicationError(
            "validation_error",
            _("Choose at most %(count)d notifications at once.") % {"count": BULK_MAX},
            fields={"ids": [_("At most %(count)d.") % {"count": BULK_MAX}]},
        )
    now = now or timezone.now()
    rows = Notification.objects.filter(user=user, pk__in=list(ids))
    if action == "read":
        updated = rows.filter(read_at__isnull=True).update(
            read_at=now, seen_at=Coalesce(F("seen_at"), Value(now))
        )
    else:
        updated = rows.filter(archived_at__isnull=True).update(archived_at=now)
    return updated
