"""The changes feed: every notification created or changed, oldest change first.

A change is a row's (`updated_at`, `id`); the same key, encoded, is the `nextAfter` of
`GET /api/notifications/changes` and the event id of the stream, so a client can resume
either one from the other. On PostgreSQL a trigger stamps `updated_at` while holding a
per-customer lock until commit, so one customer's keys grow in commit order and reading
"after a key" never skips a write that committed late (docs/decisions.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Count, F, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from notifications import selectors
from notifications.models import Notification
from portal.api_errors import ApplicationError

# A first sync (no `after`) starts this far back.
FIRST_SYNC_WINDOW = timedelta(days=30)
MAX_CHANGES = 100
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True, order=True)
class ChangeKey:
    updated_at: datetime
    id: int

    def encode(self) -> str:
        return f"{(self.updated_at - _EPOCH) // _MICROSECOND}-{self.id}"

    @classmethod
    def decode(cls, raw: str, *, name: str = "after") -> ChangeKey:
        """The key of an `after` or a `Last-Event-ID`; a validation error for anything else."""
        micros, _sep, pk = raw.strip().partition("-")
        try:
            if not micros.isdigit() or not pk.isdigit() or len(micros) > 17:
                raise ValueError(raw)
            return cls(_EPOCH + int(micros) * _MICROSECOND, int(pk))
        except (ValueError, OverflowError) as error:
            raise ApplicationError(
                "validation_error",
                _("%(name)s is not a value this API gave out.") % {"name": name},
                fields={name: [_("Use the value from an earlier answer.")]},
            ) from error

    @classmethod
    def of(cls, notification: Notification) -> ChangeKey:
        return cls(notification.updated_at, notification.pk)

    @classmethod
    def start_of_window(cls, *, now: datetime) -> ChangeKey:
        return cls(now - FIRST_SYNC_WINDOW, 0)


def _after(key: ChangeKey) -> Q:
    return Q(updated_at__gt=key.updated_at) | Q(updated_at=key.updated_at, id__gt=key.id)


def changes_after(*, user: User, after: ChangeKey) -> QuerySet[Notification]:
    """The user's notifications changed after `after`, oldest change first (`changes_idx`)."""
    return (
        Notification.objects.filter(user=user)
        .filter(_after(after))
        .order_by("updated_at", "id")
        .annotate(reader_language=F("user__customer__language"))
    )


@dataclass(frozen=True)
class ChangesPage:
    items: list[Notification]
    next_after: ChangeKey
    has_more: bool


def list_changes(
    *, user: User, after: ChangeKey | None, now: datetime, limit: int = MAX_CHANGES
) -> ChangesPage:
    """One page of the feed; `next_after` stays put when nothing changed."""
    start = after or ChangeKey.start_of_window(now=now)
    rows = list(changes_after(user=user, after=start)[: limit + 1])
    items = rows[:limit]
    return ChangesPage(
        items=items,
        next_after=ChangeKey.of(items[-1]) if items else start,
        has_more=len(rows) > limit,
    )


def latest_change(*, user_id: int) -> ChangeKey:
    """The newest key of a user's notifications (the epoch when they have none)."""
    row = (
        Notification.objects.filter(user_id=user_id)
        .order_by("-updated_at", "-id")
        .values_list("updated_at", "id")
        .first()
    )
    return ChangeKey(*row) if row else ChangeKey(_EPOCH, 0)


def changes_for_users(*, cursors: dict[int, ChangeKey]) -> Iterable[Notification]:
    """The changes after each user's own key, for many users in one statement."""
    if not cursors:
        return []
    oldest = min(cursors.values())
    rows = (
        Notification.objects.filter(user_id__in=list(cursors), updated_at__gte=oldest.updated_at)
        .order_by("updated_at", "id")
        .annotate(reader_language=F("user__customer__language"))
    )
    return [row for row in rows if ChangeKey.of(row) > cursors[row.user_id]]


def count_badges(*, user_ids: Iterable[int], now: datetime) -> dict[int, dict[str, int]]:
    """The stream's `counts` for many customers in one query: unread and unseen among the
    visible ones, as `selectors.visible_notifications` defines them (a test holds them equal)."""
    user_ids = list(user_ids)
    rows = (
        Notification.objects.filter(selectors.not_snoozed(now=now), user_id__in=user_ids)
        .filter(archived_at__isnull=True, expires_at__gt=now)
        .order_by()
        .values("user_id")
        .annotate(
            count=Count("pk", filter=Q(read_at__isnull=True)),
            unseen=Count("pk", filter=Q(seen_at__isnull=True)),
        )
    )
    counts = {user_id: {"count": 0, "unseenCount": 0} for user_id in user_ids}
    for row in rows:
        counts[row["user_id"]] = {"count": row["count"], "unseenCount": row["unseen"]}
    return counts
