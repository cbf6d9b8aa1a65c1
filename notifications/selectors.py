"""Read queries for notifications, always scoped to one user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, Expression, F, Q, QuerySet
from django.http import Http404
from django.utils.translation import override

from accounts.models import User
from notifications import catalog
from notifications.models import Announcement, AnnouncementAudience, Notification
from portal.pagination import Page, paginate


def not_snoozed(*, now: datetime) -> Q:
    return Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now)


def visible_notifications(*, user: User, now: datetime) -> QuerySet[Notification]:
    """What the customer sees: not archived, not snoozed, not expired.

    This is the one definition of "visible"; every list and count starts from it (or from
    `unread_notifications` / `unseen_notifications` below, which narrow it).
    """
    return Notification.objects.filter(
        not_snoozed(now=now), user=user, archived_at__isnull=True, expires_at__gt=now
    )


def unread_notifications(*, user: User, now: datetime) -> QuerySet[Notification]:
    """Visible and unread: the rows of the partial index `notification_unread_idx`."""
    return visible_notifications(user=user, now=now).filter(read_at__isnull=True)


def unseen_notifications(*, user: User, now: datetime) -> QuerySet[Notification]:
    """Visible and unseen (the badge): the rows of the partial index `notification_unseen_idx`."""
    return visible_notifications(user=user, now=now).filter(seen_at__isnull=True)


def count_unread_notifications(*, user: User, now: datetime) -> int:
    """The unread count: one COUNT over the partial unread index."""
    return unread_notifications(user=user, now=now).count()


def count_unseen_notifications(*, user: User, now: datetime) -> int:
    """The badge: one COUNT over the partial unseen index."""
    return unseen_notifications(user=user, now=now).count()


def list_notifications(
    *,
    user: User,
    now: datetime,
    limit: int,
    cursor: str | None = None,
    unread_only: bool = False,
) -> Page[Notification]:
    """One page, newest first; the keyset cursor keeps pages stable while new ones arrive."""
    queryset = visible_notifications(user=user, now=now)
    if unread_only:
        queryset = queryset.filter(read_at__isnull=True)
    return paginate(queryset, order_field="created_at", limit=limit, cursor=cursor)


# The dashboard's card shows the newest few unread ones; the list page has the rest.
LATEST_SIZE = 3


@dataclass(frozen=True)
class LatestNotifications:
    items: list[Notification]
    unread_count: int

    def as_context(self) -> dict[str, object]:
        """What the dashboard's notifications card (`notifications/_latest.html`) reads."""
        return {"latest": self.items, "unread_count": self.unread_count}


def get_latest_notifications(
    *, user: User, now: datetime, unread_count: int | None = None
) -> LatestNotifications:
    """The dashboard's notifications card: the newest unread ones and how many there are.

    A caller that already counted (the dashboard's snapshot) passes `unread_count`.
    """
    if unread_count is None:
        unread_count = count_unread_notifications(user=user, now=now)
    page = list_notifications(user=user, now=now, limit=LATEST_SIZE, unread_only=True)
    return LatestNotifications(items=page.items, unread_count=unread_count)


def get_notification_for_user(*, user: User, notification_id: int) -> Notification:
    """The user's own notification (whatever its state); Http404 for anybody else's."""
    notification = Notification.objects.filter(pk=notification_id, user=user).first()
    if notification is None:
        raise Http404("No such notification.")
    return notification


def recent_notification_exists(
    *, user_id: int | F, type: str, source_id: str | Expression, now: datetime
) -> Exists:
    """An EXISTS for "notify() would deduplicate this", to fold the check into another query.

    It applies the catalog's dedupe window exactly as `services.notify` does, so callers can
    skip calling notify() for rows that already have their notification.
    """
    since = catalog.get_template(type).dedupe_since(now)
    # Keyword dict: the values may be expressions (OuterRef), which the type stubs reject.
    lookups = {"user_id": user_id, "type": type, "source_id": source_id}
    return Exists(Notification.objects.filter(**lookups, created_at__gte=since))


def announcement_recipients(*, announcement: Announcement) -> QuerySet[User]:
    """Active customer logins the announcement goes to, in id order (the sending cursor)."""
    users = User.objects.filter(is_active=True, customer__isnull=False)
    if announcement.audience == AnnouncementAudience.SELECTED:
        users = users.filter(customer__in=announcement.customers.all())
    return users.order_by("pk")


def announcement_text(*, announcement: Announcement, language: str) -> dict[str, str]:
    """The title and message a reader in `language` gets: Japanese when it was written."""
    if language == "ja" and announcement.title_ja:
        return {
            "title": announcement.title_ja,
            "message": announcement.message_ja or announcement.message,
        }
    return {"title": announcement.title, "message": announcement.message}


@dataclass(frozen=True)
class AnnouncementPreview:
    announcement: Announcement
    recipient_count: int
    # language code -> {"title", "message", "action_label"}, as the notification will read.
    texts: dict[str, dict[str, str]]
    missing_japanese: bool


def preview_announcement(*, announcement: Announcement) -> AnnouncementPreview:
    """What each language's readers will see, and how many customers it would reach now."""
    template = catalog.get_template("SYSTEM_ANNOUNCEMENT")
    texts = {}
    for language in ("en", "ja"):
        with override(language):
            texts[language] = {
                **announcement_text(announcement=announcement, language=language),
                "action_label": str(template.action_label),
            }
    return AnnouncementPreview(
        announcement=announcement,
        recipient_count=announcement_recipients(announcement=announcement).count(),
        texts=texts,
        missing_japanese=not (announcement.title_ja and announcement.message_ja),
    )


def get_announcement_for_user(*, user: User, announcement_id: int) -> Notification:
    """The user's own SYSTEM_ANNOUNCEMENT notification of an announcement; Http404 for an
    announcement that was not sent to them."""
    notification = (
        Notification.objects.filter(
            user=user, type="SYSTEM_ANNOUNCEMENT", source_id=str(announcement_id)
        )
        .order_by("-created_at")
        .first()
    )
    if notification is None:
        raise Http404("No such announcement.")
    return notification
