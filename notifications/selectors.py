"""Read queries for notifications, always scoped to one user."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    Expression,
    F,
    IntegerField,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import override

from accounts.models import User
from notifications import catalog
from notifications.models import (
    Announcement,
    AnnouncementAudience,
    Device,
    Notification,
    NotificationCategory,
    NotificationPreference,
)
from portal.api_errors import ApplicationError
from portal.pagination import Page, Position, after, decode_cursor, page_of, page_query
from portal.statements import Statement, Values

CATEGORIES: tuple[str, ...] = tuple(NotificationCategory.values)
# The channels a customer chooses per category, as the model and the services name them.
CHANNELS = ("in_app", "email", "push")
# What a category is set to until the customer changes it: everything on, except email and
# push for announcements (a newsletter is not worth an email or a buzz nobody asked for).
DEFAULT_PREFERENCES: dict[str, dict[str, bool]] = {
    category: {
        "in_app": True,
        "email": category != "announcements",
        "push": category != "announcements",
    }
    for category in CATEGORIES
}


def not_snoozed(*, now: datetime) -> Q:
    return Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now)


def visible_notifications(*, user: User, now: datetime) -> QuerySet[Notification]:
    """What the customer sees: not archived, not snoozed, not expired, not turned off.

    This is the one definition of "visible"; every list and count starts from it (or from
    `unread_notifications` / `unseen_notifications` below, which narrow it).
    """
    return Notification.objects.filter(
        not_snoozed(now=now), user=user, archived_at__isnull=True, expires_at__gt=now
    ).exclude(hidden_by_preferences(user=user))


def hidden_by_preferences(*, user: User) -> Q:
    """A category the customer turned off in-app, unless critical (always shown).

    A subquery, so every list and count stays one statement.
    """
    muted = NotificationPreference.objects.filter(user=user, in_app=False).values("category")
    return Q(category__in=muted) & ~Q(severity="critical")


def unread_notifications(*, user: User, now: datetime) -> QuerySet[Notification]:
    """Visible, unread and not retired: the rows of the partial index `notification_unread_idx`.

    This is what "unread" means everywhere (the API's count, the dashboard, the card).
    """
    return visible_notifications(user=user, now=now).filter(
        read_at__isnull=True, retired_at__isnull=True
    )


def unseen_notifications(*, user: User, now: datetime) -> QuerySet[Notification]:
    """Visible, unseen and not retired (the badge): the partial index `notification_unseen_idx`."""
    return visible_notifications(user=user, now=now).filter(
        seen_at__isnull=True, retired_at__isnull=True
    )


def _counted(rows: QuerySet[Notification]) -> Coalesce:
    # COUNT(*): the partial indexes hold everything "visible" needs, but not the id.
    count = rows.order_by().values("user_id").annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(count, output_field=IntegerField()), 0)


# The bell's badge says "99+" from here on; see `count_unseen_for_badge`.
BADGE_CAP = 100


def _counted_up_to(rows: QuerySet[Notification], cap: int) -> Case:
    # Whether a cap-th row exists reads at most `cap` index entries; only below it are the
    # rows counted.
    return Case(
        When(Exists(rows.order_by()[cap - 1 : cap]), then=Value(cap)),
        default=_counted(rows),
        output_field=IntegerField(),
    )


def _counts_query(kinds: tuple[str, ...], values: Values) -> QuerySet[Any]:
    """One row with a count per kind, each over its partial index.

    "unread" and "unseen" count them all; "badge" counts the unseen up to `BADGE_CAP`.
    """
    user, now = User(pk=values["user_id"]), values["now"]
    unseen = unseen_notifications(user=user, now=now)
    counts = {
        "unread": _counted(unread_notifications(user=user, now=now)),
        "unseen": _counted(unseen),
        "badge": _counted_up_to(unseen, BADGE_CAP),
    }
    return User.objects.filter(pk=user.pk).values(**{kind: counts[kind] for kind in kinds})


# Values no row has, to compile the statements once (portal/statements.py).
_PROBES: tuple[Values, Values] = (
    {
        "user_id": -987_654_401,
        "now": datetime(1901, 2, 3, 4, 5, 6, 7, UTC),
        "category": "probe-category-1",
        "cursor_value": datetime(1901, 3, 4, 5, 6, 7, 8, UTC),
        "cursor_id": -987_654_402,
    },
    {
        "user_id": -987_654_411,
        "now": datetime(1902, 3, 4, 5, 6, 7, 8, UTC),
        "category": "probe-category-2",
        "cursor_value": datetime(1902, 4, 5, 6, 7, 8, 9, UTC),
        "cursor_id": -987_654_412,
    },
)
COUNTS = Statement(_counts_query, probes=_PROBES)


def _count(kinds: tuple[str, ...], *, user: User, now: datetime) -> tuple[int, ...]:
    _, rows = COUNTS.fetch(kinds, {"user_id": user.pk, "now": now})
    if not rows:
        raise User.DoesNotExist(f"No user {user.pk}.")
    return tuple(int(value) for value in rows[0])


def count_unread_notifications(*, user: User, now: datetime) -> int:
    """The unread count: one COUNT over the partial unread index."""
    (unread,) = _count(("unread",), user=user, now=now)
    return unread


def count_unseen_notifications(*, user: User, now: datetime) -> int:
    """The badge: one COUNT over the partial unseen index."""
    (unseen,) = _count(("unseen",), user=user, now=now)
    return unseen


def count_unseen_for_badge(*, user: User, now: datetime) -> int:
    """The bell on the pages: the unseen count, but never more than `BADGE_CAP`.

    The bell shows "99+" past 99, so a customer who never opens it (thousands unseen) costs
    no more to draw than one with a hundred. The API and the push badge count them all.
    """
    (badge,) = _count(("badge",), user=user, now=now)
    return badge


def count_unread_and_unseen(*, user: User, now: datetime) -> tuple[int, int]:
    """The unread count and the badge in one statement, each over its own partial index."""
    unread, unseen = _count(("unread", "unseen"), user=user, now=now)
    return unread, unseen


def archived_notifications(*, user: User, now: datetime) -> QuerySet[Notification]:
    """The archived view: archived and not expired (the `notification_archived_idx` rows)."""
    return Notification.objects.filter(user=user, archived_at__isnull=False, expires_at__gt=now)


def parse_category(raw: str | None) -> str | None:
    """A `category` filter from a query string: None for all, a 400 for an unknown one."""
    if not raw:
        return None
    if raw not in CATEGORIES:
        raise ApplicationError(
            "validation_error",
            _("There is no such category."),
            fields={
                "category": [_("Choose one of: %(choices)s.") % {"choices": ", ".join(CATEGORIES)}]
            },
        )
    return raw


@dataclass(frozen=True)
class _ListShape:
    """What changes the list's SQL text (the values of the filters do not)."""

    archived: bool
    unread_only: bool
    category: bool
    after_cursor: bool
    limit: int
    # Every row also carries the customer's unread count (the API's list shows it).
    unread_count: bool = False
    # ... and the bell's badge (`count_unseen_for_badge`), for a page that shows both.
    badge: bool = False


def _list_query(shape: _ListShape, values: Values) -> QuerySet[Notification]:
    user, now = User(pk=values["user_id"]), values["now"]
    if shape.archived:
        queryset = archived_notifications(user=user, now=now)
    else:
        queryset = visible_notifications(user=user, now=now)
    if shape.unread_only:
        # A retired one is read as well; saying so lets the unread index serve the page.
        queryset = queryset.filter(read_at__isnull=True, retired_at__isnull=True)
    if shape.category:
        queryset = queryset.filter(category=values["category"])
    if shape.after_cursor:
        position = Position(value=values["cursor_value"], id=values["cursor_id"])
        queryset = queryset.filter(after(position, order_field="created_at"))
    if shape.unread_count:
        queryset = queryset.annotate(
            unread_count=_counted(unread_notifications(user=user, now=now))
        )
    if shape.badge:
        queryset = queryset.annotate(
            badge=_counted_up_to(unseen_notifications(user=user, now=now), BADGE_CAP)
        )
    return page_query(queryset, order_field="created_at", limit=shape.limit)


LIST = Statement(_list_query, probes=_PROBES)


def list_notifications(
    *,
    user: User,
    now: datetime,
    limit: int,
    cursor: str | None = None,
    unread_only: bool = False,
    category: str | None = None,
    archived: bool = False,
) -> Page[Notification]:
    """One page, newest first; the keyset cursor keeps pages stable while new ones arrive."""
    rows = _list_rows(
        user=user,
        now=now,
        limit=limit,
        cursor=cursor,
        unread_only=unread_only,
        category=category,
        archived=archived,
        unread_count=False,
    )
    return page_of(rows, order_field="created_at", limit=limit)


def list_notifications_and_unread_count(
    *,
    user: User,
    now: datetime,
    limit: int,
    cursor: str | None = None,
    unread_only: bool = False,
    category: str | None = None,
    archived: bool = False,
) -> tuple[Page[Notification], int]:
    """A page and the customer's unread count, in one statement (two for an empty page)."""
    rows = _list_rows(
        user=user,
        now=now,
        limit=limit,
        cursor=cursor,
        unread_only=unread_only,
        category=category,
        archived=archived,
        unread_count=True,
    )
    if rows:
        unread: int = rows[0].unread_count  # type: ignore[attr-defined]
    else:
        unread = count_unread_notifications(user=user, now=now)
    return page_of(rows, order_field="created_at", limit=limit), unread


def _list_rows(
    *,
    user: User,
    now: datetime,
    limit: int,
    cursor: str | None,
    unread_only: bool,
    category: str | None,
    archived: bool,
    unread_count: bool,
    badge: bool = False,
) -> list[Notification]:
    position = decode_cursor(Notification, order_field="created_at", cursor=cursor)
    shape = _ListShape(
        archived=archived,
        unread_only=unread_only,
        category=category is not None,
        after_cursor=position is not None,
        limit=limit,
        unread_count=unread_count,
        badge=badge,
    )
    values = {
        "user_id": user.pk,
        "now": now,
        "category": category,
        "cursor_value": position.value if position else None,
        "cursor_id": position.id if position else None,
    }
    return LIST.fetch_models(Notification, shape, values)


# The dashboard's card shows the newest few unread ones; the list page has the rest.
LATEST_SIZE = 3


@dataclass(frozen=True)
class LatestNotifications:
    items: list[Notification]
    unread_count: int
    # The bell's badge (`count_unseen_for_badge`), when it was asked for.
    badge: int | None = None

    def as_context(self) -> dict[str, object]:
        """What the dashboard's notifications card (`notifications/_latest.html`) and the
        header's bell (`{% notification_bell %}`, which counts itself without a badge) read."""
        return {"latest": self.items, "unread_count": self.unread_count, "bell_badge": self.badge}


def get_latest_notifications(
    *, user: User, now: datetime, unread_count: int | None = None, with_badge: bool = False
) -> LatestNotifications:
    """The dashboard's notifications card: the newest unread ones and how many there are,
    with the bell's badge for a page that shows the bell too, in one statement (two when
    nothing is unread).

    A caller that already counted the unread ones (the dashboard's snapshot) passes
    `unread_count`.
    """
    rows = _list_rows(
        user=user,
        now=now,
        limit=LATEST_SIZE,
        cursor=None,
        unread_only=True,
        category=None,
        archived=False,
        unread_count=unread_count is None,
        badge=with_badge,
    )
    counted: dict[str, Any]
    if rows:
        # The statement's extra columns are attributes of every row.
        counted = {kind: getattr(rows[0], kind, None) for kind in ("unread_count", "badge")}
    else:
        kinds = ("unread", "badge") if with_badge else ("unread",)
        values = _count(kinds, user=user, now=now)
        counted = {"unread_count": values[0], "badge": values[1] if with_badge else None}
    page = page_of(rows, order_field="created_at", limit=LATEST_SIZE)
    return LatestNotifications(
        items=page.items,
        unread_count=counted["unread_count"] if unread_count is None else unread_count,
        badge=counted["badge"],
    )


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


def get_notification_preferences(*, user: User) -> dict[str, dict[str, bool]]:
    """Every category with every channel: the customer's choices over the defaults."""
    preferences = {category: dict(channels) for category, channels in DEFAULT_PREFERENCES.items()}
    for row in NotificationPreference.objects.filter(user=user):
        if row.category in preferences:
            preferences[row.category] = {
                "in_app": row.in_app,
                "email": row.email,
                "push": preferences[row.category]["push"] if row.push is None else row.push,
            }
    return preferences


def users_who_want_email(
    *, notifications: Sequence[Notification]
) -> dict[tuple[str, str], set[int]]:
    """For each (category, severity) of these notifications, the users it is emailed to.

    The contract's rule: the category's email is on (a preference, else the default), and a
    critical one always. One query, whatever the number of notifications.
    """
    user_ids = {notification.user_id for notification in notifications}
    pairs = {(notification.category, notification.severity) for notification in notifications}
    choices = {
        (user_id, category): email
        for user_id, category, email in NotificationPreference.objects.filter(
            user_id__in=user_ids, category__in={category for category, _ in pairs}
        ).values_list("user_id", "category", "email")
    }
    return {
        (category, severity): {
            user_id
            for user_id in user_ids
            if severity == "critical"
            or choices.get((user_id, category), DEFAULT_PREFERENCES[category]["email"])
        }
        for category, severity in pairs
    }


def users_who_want_push(
    *, notifications: Sequence[Notification]
) -> dict[tuple[str, str], set[int]]:
    """For each (category, severity) of these notifications, the users it is pushed to.

    The contract's rule: the notification is shown in-app (the category's in-app is on, or it
    is critical) and the category's push is on (a preference, else the default). Critical
    ones are not pushed against the customer's choice: push interrupts, email waits.
    One query, whatever the number of notifications.
    """
    user_ids = {notification.user_id for notification in notifications}
    pairs = {(notification.category, notification.severity) for notification in notifications}
    choices = {
        (user_id, category): (in_app, push)
        for user_id, category, in_app, push in NotificationPreference.objects.filter(
            user_id__in=user_ids, category__in={category for category, _ in pairs}
        ).values_list("user_id", "category", "in_app", "push")
    }

    def wants(user_id: int, category: str, severity: str) -> bool:
        default = DEFAULT_PREFERENCES[category]
        in_app, push = choices.get((user_id, category), (default["in_app"], default["push"]))
        shown = in_app or severity == "critical"
        return shown and (default["push"] if push is None else push)

    return {
        (category, severity): {
            user_id for user_id in user_ids if wants(user_id, category, severity)
        }
        for category, severity in pairs
    }


def list_devices(*, user: User) -> list[Device]:
    """The customer's phones that receive push notifications, the most recently seen first."""
    return list(Device.objects.filter(user=user).order_by("-last_seen_at", "-id"))


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
