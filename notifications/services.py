"""Creating notifications (with dedupe), changing their state, reminders and announcements."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import CharField, Exists, F, Max, OuterRef, Value
from django.db.models.functions import Cast, Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.names import name_for_reader
from billing.models import Invoice, InvoiceStatus, PaymentMethod, PaymentMethodType
from notifications import catalog, push, selectors
from notifications.models import (
    Announcement,
    AnnouncementAudience,
    AnnouncementStatus,
    Notification,
    NotificationEmail,
    NotificationPreference,
)
from outbox.services import enqueue_on_commit
from portal.api_errors import ApplicationError
from portal.dates import tokyo_today
from portal.locks import advisory_xact_lock
from portal.text import Text
from staff.services import record_staff_action

# An unpaid invoice gets a reminder (and a dashboard task) from this many days before its
# due date, and every day after it while it stays unpaid.
INVOICE_DUE_SOON_DAYS = 7
# Expired notifications stay this long before the daily purge deletes them.
PURGE_AFTER = timedelta(days=30)
PURGE_BATCH_SIZE = 1000
ANNOUNCEMENT_BATCH_SIZE = 1000
EMAIL_DOMAIN = "portal.invalid"
# An email still unsent this long after it was queued was lost on the way: queue it again,
# for a day; after that it is too late to be useful.
EMAIL_RETRY_AFTER = timedelta(minutes=15)
EMAIL_GIVE_UP_AFTER = timedelta(days=1)


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


# --- Email -----------------------------------------------------------------------------------


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


# --- The customer's actions -----------------------------------------------------------------


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


def update_notification_preferences(
    *,
    user: User,
    changes: Mapping[str, Mapping[str, bool]],
    now: datetime | None = None,
) -> dict[str, dict[str, bool]]:
    """Change some channels of some categories; what is left out keeps its value.

    `changes` is `{category: {channel: bool}}` with the channels of `selectors.CHANNELS`.
    Returns the whole preferences. Concurrent changes of one customer are serialised, so
    two partial changes of the same category both hold.
    """
    unknown_categories = sorted(set(changes) - set(selectors.CATEGORIES))
    if unknown_categories:
        raise ApplicationError(
            "validation_error",
            _("There is no such category: %(names)s.") % {"names": ", ".join(unknown_categories)},
            fields={name: [_("Unknown category.")] for name in unknown_categories},
        )
    errors: dict[str, list[str]] = {}
    for category, channels in changes.items():
        for channel, value in channels.items():
            if channel not in selectors.CHANNELS:
                errors[f"{category}.{channel}"] = [_("Unknown channel.")]
            elif not isinstance(value, bool):
                errors[f"{category}.{channel}"] = [_("Use true or false.")]
    if errors:
        raise ApplicationError("validation_error", _("Check the preferences you sent."), errors)
    now = now or timezone.now()
    with transaction.atomic():
        advisory_xact_lock("notification-preferences", str(user.pk))
        preferences = selectors.get_notification_preferences(user=user)
        rows = []
        for category, channels in changes.items():
            preferences[category].update(channels)
            rows.append(
                NotificationPreference(
                    user=user, category=category, updated_at=now, **preferences[category]
                )
            )
        NotificationPreference.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["user", "category"],
            update_fields=["in_app", "email", "push", "updated_at"],
        )
    return preferences


# --- Reminders ------------------------------------------------------------------------------


def invoice_reminder_horizon(*, now: datetime) -> date:
    """The last due date (Asia/Tokyo) that already counts as "due soon"."""
    return tokyo_today(now=now) + timedelta(days=INVOICE_DUE_SOON_DAYS)


def notify_invoice_due(
    *, user: User, invoice: Invoice, now: datetime | None = None
) -> Notification | None:
    return notify(
        user=user,
        type="INVOICE_DUE",
        source_id=invoice.pk,
        context={
            "invoice_number": invoice.number,
            "amount": catalog.Money(invoice.total, invoice.currency),
            "due_date": invoice.due_date,
            "invoice_id": invoice.pk,
        },
        now=now,
    )


def _already_notified(type: str, *, user_ref: str, now: datetime) -> Exists:
    return selectors.recent_notification_exists(
        user_id=OuterRef(user_ref),
        type=type,
        source_id=Cast(OuterRef("pk"), output_field=CharField()),
        now=now,
    )


def send_invoice_due_reminders(*, now: datetime | None = None) -> int:
    """INVOICE_DUE for every unpaid invoice due within 7 days or overdue; returns how many.

    Invoices that already had their reminder inside the window are filtered out in the
    same query, so a second run the same day costs one statement.
    """
    now = now or timezone.now()
    invoices = (
        Invoice.objects.filter(
            status=InvoiceStatus.UNPAID,
            due_date__lte=invoice_reminder_horizon(now=now),
            customer__user__is_active=True,
        )
        .exclude(_already_notified("INVOICE_DUE", user_ref="customer__user_id", now=now))
        .select_related("customer__user")
        .order_by("pk")
    )
    created = 0
    for invoice in invoices.iterator(chunk_size=500):
        if notify_invoice_due(user=invoice.customer.user, invoice=invoice, now=now):
            created += 1
    return created


def send_payment_method_expiring_reminders(*, now: datetime | None = None) -> int:
    """PAYMENT_METHOD_EXPIRING for cards that expire at the end of this month or next.

    A customer who already has another way to pay that outlives those months (a newer card
    or a bank account) is not reminded: there is nothing for them to do.
    """
    now = now or timezone.now()
    today = tokyo_today(now=now)
    lasting_alternative = PaymentMethod.objects.filter(customer=OuterRef("customer")).lasting(
        today=today
    )
    cards = (
        PaymentMethod.objects.expiring_soon(today=today)
        .filter(type=PaymentMethodType.CARD, customer__user__is_active=True)
        .exclude(Exists(lasting_alternative))
        .exclude(
            _already_notified("PAYMENT_METHOD_EXPIRING", user_ref="customer__user_id", now=now)
        )
        .select_related("customer__user")
        .order_by("pk")
    )
    created = 0
    for card in cards.iterator(chunk_size=500):
        notification = notify(
            user=card.customer.user,
            type="PAYMENT_METHOD_EXPIRING",
            source_id=card.pk,
            context={
                "brand": card.brand or _("card"),
                "last4": card.last4,
                "expiry": f"{card.exp_month:02d}/{card.exp_year}",
            },
            now=now,
        )
        if notification:
            created += 1
    return created


# RESIDENCE_CARD_EXPIRING goes out this many days before the card's expiry date (Tokyo).
RESIDENCE_CARD_MILESTONES = (60, 30, 7, 0)
# A run missed (the beat down for a day) still sends the milestone it missed, this late.
RESIDENCE_CARD_CATCH_UP_DAYS = 6


def residence_card_milestone(*, expires_on: date, today: date) -> int | None:
    """The milestone due on `today`: the nearest one not yet reached from above, so a
    missed daily run is caught up the next day; None outside the reminder period."""
    days_left = (expires_on - today).days
    if days_left > RESIDENCE_CARD_MILESTONES[0] or days_left < -RESIDENCE_CARD_CATCH_UP_DAYS:
        return None
    return min(milestone for milestone in RESIDENCE_CARD_MILESTONES if milestone >= days_left)


def residence_card_source_id(*, verification_id: int, expires_on: date) -> str:
    """The subject of the reminders (API.md): the verification and the card's expiry date."""
    return f"{verification_id}:{expires_on.isoformat()}"


def send_residence_card_expiring_reminders(*, now: datetime | None = None) -> int:
    """RESIDENCE_CARD_EXPIRING 60, 30 and 7 days before a verified card expires and on the
    day (Asia/Tokyo); returns how many were created.

    Each milestone is told once per card: the context carries it (`days_before`) and a
    milestone already told for that card, however long ago, is not told again. A newer
    milestone retires the older one of the same card (its source id).
    """
    from accounts.models import ResidenceCardVerification, VerificationStatus

    now = now or timezone.now()
    today = tokyo_today(now=now)
    verifications = (
        ResidenceCardVerification.objects.filter(
            status=VerificationStatus.VERIFIED,
            card_expires_on__lte=today + timedelta(days=RESIDENCE_CARD_MILESTONES[0]),
            card_expires_on__gte=today - timedelta(days=RESIDENCE_CARD_CATCH_UP_DAYS),
            customer__user__is_active=True,
        )
        .select_related("customer__user")
        .order_by("pk")
    )
    due: list[tuple[Any, str, int]] = []
    for verification in verifications.iterator(chunk_size=500):
        expires_on = verification.card_expires_on
        assert expires_on is not None
        milestone = residence_card_milestone(expires_on=expires_on, today=today)
        if milestone is None:
            continue
        source_id = residence_card_source_id(verification_id=verification.pk, expires_on=expires_on)
        due.append((verification, source_id, milestone))
    told = set(
        Notification.objects.filter(
            type="RESIDENCE_CARD_EXPIRING", source_id__in=[source_id for _v, source_id, _m in due]
        ).values_list("user_id", "source_id", "context__days_before")
    )
    created = 0
    for verification, source_id, milestone in due:
        user = verification.customer.user
        if (user.pk, source_id, milestone) in told:
            continue
        notification = notify(
            user=user,
            type="RESIDENCE_CARD_EXPIRING",
            source_id=source_id,
            context={"expires_on": verification.card_expires_on, "days_before": milestone},
            now=now,
        )
        if notification:
            created += 1
    return created


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


# --- Announcements --------------------------------------------------------------------------


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
