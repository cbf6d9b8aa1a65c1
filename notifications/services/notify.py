"""Creating notifications (with their dedupe), retiring what they supersede, and the purge of
expired ones."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Max, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from notifications import catalog, push
from notifications.models import Notification
from notifications.services.email import queue_notification_emails
from portal.locks import advisory_xact_lock

# Expired notifications stay this long before the daily purge deletes them.
PURGE_AFTER = timedelta(days=30)
PURGE_BATCH_SIZE = 1000


def notify(
    *,
    user: User,
    type: str,
    source_id: str | int,
    context: dict[str, Any],
    now: datetime | None = None,
) -> Notification | None:
    """Create a notification from the catalog, or return None when it is a duplicate.

    A duplicate is a notification for the same user, type and source id created within
    the type's dedupe window (the same Tokyo day for daily reminders), whether it was read
    or dismissed since or not. Creating one retires what it supersedes (the catalog's
    `retires`). Only the type and the context are stored: it is rendered when read.
    """
    template = catalog.get_template(type)
    template.check_context(context)
    now = now or timezone.now()
    source_id = str(source_id)
    recent = Notification.objects.filter(
        user=user,
        type=type,
        source_id=source_id,
        created_at__gte=template.dedupe_since(now),
    )
    # The common case (a reminder that already exists) costs this one statement.
    if recent.exists():
        return None
    encoded = catalog.encode_context(context)
    with transaction.atomic():
        advisory_xact_lock("notify", f"{user.pk}:{type}:{source_id}")
        if recent.exists():
            return None
        snoozed_until = _carried_snooze(user=user, template=template, source_id=source_id, now=now)
        notification = Notification.objects.create(
            snoozed_until=snoozed_until,
            user=user,
            type=type,
            context=encoded,
            category=template.category,
            severity=template.severity_for(encoded, now=now),
            source=template.source,
            source_id=source_id,
            created_at=now,
            updated_at=timezone.now(),
            expires_at=template.expires_at(encoded, now=now),
        )
        if snoozed_until is not None:
            # The snooze moved to the new reminder: the one it replaces does not come back
            # beside it when the snooze ends (it stays, retired, among the archived).
            _snoozed_replaced(user=user, type=type, source_id=source_id, now=now).exclude(
                pk=notification.pk
            ).update(archived_at=now)
        for rule in template.retires:
            if rule.source_from == catalog.ALL_OF_THE_USERS:
                subject = None
            elif rule.source_from is None:
                subject = source_id
            else:
                subject = str(context[rule.source_from])
            _retire(user_id=user.pk, type=rule.type, source_id=subject).exclude(
                pk=notification.pk
            ).update(**_retired(now))
        queue_notification_emails([notification], now=now)
        push.queue_push_notifications([notification], now=now)
        return notification


def _carried_snooze(
    *, user: User, template: catalog.NotificationTemplate, source_id: str, now: datetime
) -> datetime | None:
    """A reminder that replaces one the customer snoozed stays hidden until that snooze ends
    (API.md): then it is back, unread, once; the replaced one is retired and archived."""
    replaces_itself = any(
        rule.type == template.type and rule.source_from is None for rule in template.retires
    )
    if not replaces_itself:
        return None
    snoozed: datetime | None = _snoozed_replaced(
        user=user, type=template.type, source_id=source_id, now=now
    ).aggregate(until=Max("snoozed_until"))["until"]
    return snoozed


def _snoozed_replaced(*, user: User, type: str, source_id: str, now: datetime) -> Any:
    return Notification.objects.filter(
        user=user,
        type=type,
        source_id=source_id,
        retired_at__isnull=True,
        archived_at__isnull=True,
        snoozed_until__gt=now,
    )


def _retired(now: datetime) -> dict[str, Any]:
    """A retired notification is read and seen (the first times kept) and out of the counts."""
    return {
        "retired_at": now,
        "read_at": Coalesce(F("read_at"), Value(now)),
        "seen_at": Coalesce(F("seen_at"), Value(now)),
    }


def _retire(*, user_id: int, type: str, source_id: str | None) -> Any:
    notifications = Notification.objects.filter(user_id=user_id, type=type, retired_at__isnull=True)
    if source_id is not None:
        notifications = notifications.filter(source_id=source_id)
    return notifications


def retire_notifications(
    *, user_id: int, type: str, source_id: str | int | None = None, now: datetime | None = None
) -> int:
    """Retire the user's notifications of `type` about a settled subject (every one of that
    type when `source_id` is None): marked read, out of the unread count, still listed.
    Safe to repeat; returns how many changed."""
    now = now or timezone.now()
    subject = None if source_id is None else str(source_id)
    updated = _retire(user_id=user_id, type=type, source_id=subject).update(**_retired(now))
    return updated


def notify_many(
    *,
    user_ids: Sequence[int],
    type: str,
    source_id: str | int,
    context: dict[str, Any],
    now: datetime | None = None,
) -> int:
    """notify() for many users at once: one dedupe query and one bulk insert.

    The same dedupe rule as notify() applies; concurrent calls for the same type and
    source id are serialised. Returns how many notifications were created. For types
    that retire nothing (announcements).
    """
    template = catalog.get_template(type)
    if template.retires:
        raise ValueError(f"{type} retires other notifications: create it with notify()")
    template.check_context(context)
    now = now or timezone.now()
    source_id = str(source_id)
    encoded = catalog.encode_context(context)
    with transaction.atomic():
        advisory_xact_lock("notify-many", f"{type}:{source_id}")
        already = set(
            Notification.objects.filter(
                user_id__in=user_ids,
                type=type,
                source_id=source_id,
                created_at__gte=template.dedupe_since(now),
            ).values_list("user_id", flat=True)
        )
        updated_at = timezone.now()
        rows = [
            Notification(
                user_id=user_id,
                type=type,
                context=encoded,
                category=template.category,
                severity=template.severity_for(encoded, now=now),
                source=template.source,
                source_id=source_id,
                created_at=now,
                updated_at=updated_at,
                expires_at=template.expires_at(encoded, now=now),
            )
            for user_id in user_ids
            if user_id not in already
        ]
        Notification.objects.bulk_create(rows)
        queue_notification_emails(rows, now=now)
        push.queue_push_notifications(rows, now=now)
    return len(rows)


def purge_expired_notifications(
    *, now: datetime | None = None, batch_size: int = PURGE_BATCH_SIZE
) -> int:
    """Delete notifications that expired more than 30 days ago, in short batches.

    Small batches keep each DELETE's locks brief, so the purge never stalls the portal.
    """
    cutoff = (now or timezone.now()) - PURGE_AFTER
    deleted = 0
    while True:
        ids = list(
            Notification.objects.filter(expires_at__lt=cutoff)
            .order_by()
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return deleted
        Notification.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
        if len(ids) < batch_size:
            return deleted
