"""Push notifications to the mobile apps: queued with the notification, sent after commit.

`queue_push_notifications` runs inside notify()'s transaction: one `PushDelivery` row per
device and notification (unique key), and the task is enqueued through the outbox. The task
calls `send_push` per row: the row is locked while the push goes out, so a duplicate task
(a retry, a redelivery, the sweep) waits and then finds it done; a success is recorded in
the same transaction. Only a worker killed between FCM's acceptance and the commit can
send it twice; the message's tag then replaces the first copy on the phone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from notifications import catalog, fcm, selectors
from notifications.models import Device, Notification, PushDelivery, PushStatus
from outbox.services import enqueue_on_commit

logger = logging.getLogger(__name__)

# Deliveries per task: a large announcement is spread over several tasks (and workers).
TASK_BATCH_SIZE = 100
# A push still pending this long after it was queued lost its task: queue it again, for a
# day; after that it is too late to be worth a buzz.
PUSH_RETRY_AFTER = timedelta(minutes=15)
PUSH_GIVE_UP_AFTER = timedelta(days=1)


def push_key(*, device_id: int, notification: Notification) -> str:
    """What a push is sent once for: the device and the notification, or for a daily
    reminder the device and the reminder's subject and severity (as for email)."""
    if catalog.get_template(notification.type).daily:
        subject = (
            f"{notification.user_id}:{notification.type}:{notification.source_id}"
            f":{notification.severity}"
        )
    else:
        subject = f"notification:{notification.pk}"
    return f"{device_id}:{subject}"


def queue_push_notifications(notifications: Sequence[Notification], *, now: datetime) -> int:
    """Record the pushes these new notifications send, and send them after the commit.

    Called by notify() and notify_many() inside their transaction. Returns how many.
    """
    from notifications import tasks

    if not notifications:
        return 0
    # Devices first: most customers have none, and then this is the one statement.
    devices: dict[int, list[int]] = {}
    for device_id, user_id in Device.objects.filter(
        user_id__in={notification.user_id for notification in notifications}
    ).values_list("pk", "user_id"):
        devices.setdefault(user_id, []).append(device_id)
    notifications = [n for n in notifications if n.user_id in devices]
    if not notifications:
        return 0
    wanted = selectors.users_who_want_push(notifications=notifications)
    notifications = [
        notification
        for notification in notifications
        if notification.user_id in wanted[(notification.category, notification.severity)]
    ]
    rows = {
        push_key(device_id=device_id, notification=notification): (device_id, notification)
        for notification in notifications
        for device_id in devices.get(notification.user_id, [])
    }
    if not rows:
        return 0
    already = set(PushDelivery.objects.filter(key__in=list(rows)).values_list("key", flat=True))
    records = PushDelivery.objects.bulk_create(
        [
            PushDelivery(
                key=key,
                device_id=device_id,
                user_id=notification.user_id,
                notification=notification,
                created_at=now,
            )
            for key, (device_id, notification) in rows.items()
            if key not in already
        ]
    )
    ids = [record.pk for record in records]
    for start in range(0, len(ids), TASK_BATCH_SIZE):
        enqueue_on_commit(tasks.send_push_notifications, ids[start : start + TASK_BATCH_SIZE])
    return len(ids)


def build_push_message(*, delivery: PushDelivery, now: datetime) -> fcm.PushMessage | None:
    """The push of one delivery, in the customer's language now; None: nothing to send.

    Nothing goes to a device that moved to another customer since, nor for a notification
    the customer already read, archived, or that was retired or expired meanwhile.
    """
    notification = delivery.notification
    device = delivery.device
    user = delivery.user
    if notification is None or device.user_id != delivery.user_id or not user.is_active:
        return None
    if (
        notification.read_at is not None
        or notification.archived_at is not None
        or notification.retired_at is not None
        or notification.expires_at <= now
    ):
        return None
    customer = getattr(user, "customer", None)
    language = customer.language if customer is not None else settings.LANGUAGE_CODE
    rendered = notification.rendered(language)
    badge = selectors.count_unseen_notifications(user=user, now=now)
    return fcm.PushMessage(
        token=device.token,
        title=str(rendered.title),
        body=str(rendered.message),
        data={
            "notificationId": str(notification.pk),
            "type": notification.type,
            "category": notification.category,
            "severity": notification.severity,
            "actionUrl": str(rendered.action_url),
            "unseenCount": str(badge),
            "language": language,
        },
        badge=badge,
        tag=f"notification-{notification.pk}",
    )


def send_push(*, delivery_id: int, now: datetime | None = None) -> bool:
    """Send one recorded push unless it was sent; True when this call sent it.

    Raises `fcm.PushRetryLater` (recorded on the row, with FCM's Retry-After as `not_before`)
    for the task to retry. A device FCM calls unregistered is forgotten (its pending pushes
    with it); a push FCM refuses for good is marked failed.
    """
    now = now or timezone.now()
    retry: fcm.PushRetryLater | None = None
    with transaction.atomic():
        delivery = (
            PushDelivery.objects.select_for_update(of=("self",))
            .select_related("device", "user__customer", "notification")
            .filter(pk=delivery_id, status=PushStatus.PENDING)
            .first()
        )
        if delivery is None:
            return False
        if delivery.not_before is not None and delivery.not_before > now:
            # FCM asked us to wait: a duplicate task that comes early sends nothing.
            wait = (delivery.not_before - now).total_seconds()
            raise fcm.PushRetryLater("FCM asked to wait", retry_after=wait)
        message = build_push_message(delivery=delivery, now=now)
        sent = False
        if message is None:
            delivery.status = PushStatus.SKIPPED
            delivery.last_error = "Nothing to send."
        else:
            client = fcm.get_client()
            delivery.attempts += 1
            if client is None:
                logger.info(
                    "Push not sent (FCM_CREDENTIALS_FILE is empty) to %s device %s: %s",
                    delivery.device.platform,
                    delivery.device_id,
                    message.as_fcm()["message"] | {"token": "…"},
                )
                delivery.status = PushStatus.LOGGED
                delivery.sent_at = now
                delivery.last_error = ""
            else:
                try:
                    delivery.message_name = client.send(message)[:200]
                except fcm.PushUnregistered as error:
                    logger.info("Forgetting device %s: %s", delivery.device_id, error)
                    delivery.device.delete()  # its deliveries, this one included, go with it
                    return False
                except fcm.PushRejected as error:
                    logger.warning("Push %s refused: %s", delivery.pk, error)
                    delivery.status = PushStatus.FAILED
                    delivery.last_error = str(error)[:2000]
                except fcm.PushRetryLater as error:
                    retry = error
                    delivery.last_error = str(error)[:2000]
                    if error.retry_after:
                        delivery.not_before = now + timedelta(seconds=error.retry_after)
                else:
                    delivery.status = PushStatus.SENT
                    delivery.sent_at = now
                    delivery.last_error = ""
                    sent = True
        delivery.save(
            update_fields=[
                "status",
                "sent_at",
                "attempts",
                "last_error",
                "not_before",
                "message_name",
            ]
        )
    if retry is not None:
        raise retry
    return sent


def retry_unsent_push_notifications(*, now: datetime | None = None, limit: int = 500) -> int:
    """Enqueue again the pushes still pending a while after they were queued (a lost task),
    once FCM's Retry-After has passed."""
    from django.db.models import Q

    from notifications import tasks

    now = now or timezone.now()
    ids = list(
        PushDelivery.objects.filter(
            Q(not_before__isnull=True) | Q(not_before__lte=now),
            status=PushStatus.PENDING,
            created_at__lte=now - PUSH_RETRY_AFTER,
            created_at__gt=now - PUSH_GIVE_UP_AFTER,
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    if ids:
        with transaction.atomic():
            for start in range(0, len(ids), TASK_BATCH_SIZE):
                enqueue_on_commit(
                    tasks.send_push_notifications, ids[start : start + TASK_BATCH_SIZE]
                )
    return len(ids)
