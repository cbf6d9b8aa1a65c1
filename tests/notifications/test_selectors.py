from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications import selectors
from notifications.models import Notification
from tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


def make(user, count, *, start=NOW, step=timedelta(minutes=1), **fields):
    return Notification.objects.bulk_create(
        Notification(
            user=user,
            type="SYSTEM_ANNOUNCEMENT",
            context={"$legacy": {"title": f"Announcement {index}", "message": "Text"}},
            category="announcements",
            severity="info",
            source="announcement",
            source_id=f"{start.timestamp()}-{index}",
            created_at=start - index * step,
            expires_at=start - index * step + timedelta(days=30),
            **fields,
        )
        for index in range(count)
    )


def test_the_list_is_newest_first_without_dismissed_or_expired(customer, other_customer):
    old = NotificationFactory(user=customer.user, created_at=NOW - timedelta(days=2))
    new = NotificationFactory(user=customer.user, created_at=NOW - timedelta(hours=1))
    NotificationFactory(user=customer.user, created_at=NOW, archived_at=NOW)
    NotificationFactory(user=customer.user, created_at=NOW - timedelta(days=30, seconds=1))
    NotificationFactory(user=other_customer.user, created_at=NOW)
    page = selectors.list_notifications(user=customer.user, now=NOW, limit=20)
    assert [n.pk for n in page.items] == [new.pk, old.pk]
    assert page.next_cursor is None


def test_unread_only_leaves_out_read_ones(customer):
    unread = NotificationFactory(user=customer.user, created_at=NOW)
    NotificationFactory(user=customer.user, created_at=NOW, read_at=NOW)
    page = selectors.list_notifications(user=customer.user, now=NOW, limit=20, unread_only=True)
    assert [n.pk for n in page.items] == [unread.pk]


def test_paging_while_new_notifications_arrive_has_no_duplicates_or_gaps(customer):
    original = {n.pk for n in make(customer.user, 45)}
    # Several share a creation time: the id breaks the tie.
    original |= {
        n.pk for n in make(customer.user, 5, start=NOW - timedelta(minutes=20), step=timedelta(0))
    }
    seen: list[int] = []
    cursor = None
    arrivals = 0
    while True:
        page = selectors.list_notifications(user=customer.user, now=NOW, limit=7, cursor=cursor)
        seen.extend(n.pk for n in page.items)
        arrivals += 1
        # Something new arrives between two page loads.
        make(customer.user, 2, start=NOW + timedelta(seconds=arrivals))
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert len(seen) == len(set(seen))
    assert set(seen) == original


def test_the_unread_count_is_one_query(customer, django_assert_num_queries):
    make(customer.user, 3)
    make(customer.user, 2, read_at=NOW)
    with django_assert_num_queries(1):
        assert selectors.count_unread_notifications(user=customer.user, now=NOW) == 3


@pytest.mark.parametrize("count", [3, 3000])
def test_list_and_count_cost_the_same_for_light_and_heavy_users(
    customer, count, django_assert_num_queries
):
    make(customer.user, count)
    with django_assert_num_queries(1):
        selectors.list_notifications(user=customer.user, now=NOW, limit=20)
    with django_assert_num_queries(1):
        selectors.count_unread_notifications(user=customer.user, now=NOW)


def test_another_users_notification_is_not_found(customer, other_customer):
    from django.http import Http404

    theirs = NotificationFactory(user=other_customer.user)
    with pytest.raises(Http404):
        selectors.get_notification_for_user(user=customer.user, notification_id=theirs.pk)


@pytest.mark.parametrize("unread", [0, 5])
def test_the_card_counts_the_unread_ones_and_the_badge_only_when_asked(
    customer, unread, django_assert_num_queries
):
    make(customer.user, unread)
    with django_assert_num_queries(1 if unread else 2):
        card = selectors.get_latest_notifications(user=customer.user, now=NOW)
    assert (len(card.items), card.unread_count, card.badge) == (min(unread, 3), unread, None)
    with django_assert_num_queries(1 if unread else 2):
        card = selectors.get_latest_notifications(user=customer.user, now=NOW, with_badge=True)
    assert (card.unread_count, card.badge) == (unread, unread)


# --- The plans PostgreSQL chooses (DESIGN.md section 9) -----------------------------------


def _plan_of(run) -> str:
    """EXPLAIN exactly the statement `run()` sends to the database."""
    with CaptureQueriesContext(connection) as captured:
        run()
    [query] = captured.captured_queries
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {query['sql']}")
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture
def ten_thousand(customer, other_customer):
    """10,000 notifications for one user, 25 of them unread, beside another user's 10,000."""
    make(customer.user, 25, step=timedelta(minutes=3))
    make(
        customer.user, 9_975, start=NOW - timedelta(hours=2), step=timedelta(minutes=3), read_at=NOW
    )
    make(other_customer.user, 100, step=timedelta(minutes=3))
    make(
        other_customer.user,
        9_900,
        start=NOW - timedelta(hours=6),
        step=timedelta(minutes=3),
        read_at=NOW,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE notifications_notification")
    return customer


@pytest.mark.postgres
def test_the_unread_count_is_an_index_scan_for_10000_notifications(ten_thousand):
    user = ten_thousand.user
    plan = _plan_of(lambda: selectors.count_unread_notifications(user=user, now=NOW))
    # Either unread index: with nothing expired they read the same rows (with expired
    # ones, test_flat_reads.py holds the count to the one that skips them).
    assert "notification_unread_count_idx" in plan or "notification_unread_idx" in plan, plan
    # (The count is a subquery of the user's row; a users table this small is read whole.)
    assert "Seq Scan on notifications_notification" not in plan
    assert selectors.count_unread_notifications(user=user, now=NOW) == 25


@pytest.mark.postgres
def test_the_newest_unread_ones_come_first_from_the_unread_index(ten_thousand):
    """A customer who read almost everything and has three old unread ones: the dashboard
    card finds them in the unread index instead of walking the list past 10,000 read ones."""
    user = ten_thousand.user
    Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=NOW)
    make(user, 3, start=NOW - timedelta(days=20), step=timedelta(minutes=3))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE notifications_notification")
    card = lambda: selectors.get_latest_notifications(user=user, now=NOW, unread_count=3)  # noqa: E731
    plan = _plan_of(card)
    assert "Index Scan using notification_unread_idx" in plan
    assert "Sort" not in plan
    assert len(card().items) == 3


@pytest.mark.postgres
def test_the_list_is_an_index_scan_for_10000_notifications(ten_thousand):
    user = ten_thousand.user
    plan = _plan_of(lambda: selectors.list_notifications(user=user, now=NOW, limit=20))
    assert "Index Scan using notification_list_idx" in plan
    assert "Seq Scan" not in plan
    assert "Sort" not in plan
