"""The list's deep pages and the unread count cost what they cost for a new customer.

Measured with EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL: the pages of shared buffers the
statement the selector sends touches, for a customer with 16,000 notifications.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications import selectors
from notifications.models import Notification
from portal.pagination import Page
from tests.notifications.test_selectors import make

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
DEPTH = 15_000


def _analyzed(run: Callable[[], object]) -> tuple[str, int]:
    """The plan of exactly the statement `run()` sends, and the buffers it touched."""
    with CaptureQueriesContext(connection) as captured:
        run()
    [query] = captured.captured_queries
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {query['sql']}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # The first Buffers line is the top node's: everything below it included.
    top = re.search(r"Buffers: shared ((?:\w+=\d+ ?)+)", plan)
    assert top is not None, plan
    buffers = sum(int(count) for count in re.findall(r"=(\d+)", top.group(1)))
    return plan, buffers


@pytest.fixture
def heavy(customer, other_customer):
    """16,000 read notifications, one a minute, beside another customer's 2,000."""
    make(customer.user, 16_000, read_at=NOW)
    make(other_customer.user, 2_000, read_at=NOW)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE notifications_notification")
    return customer


def _page_at(user, depth: int) -> Callable[[], Page[Notification]]:
    """The page of 20 that starts after the `depth`-th notification (its cursor)."""
    first = selectors.list_notifications(user=user, now=NOW, limit=depth)
    cursor = first.next_cursor
    assert cursor is not None
    return lambda: selectors.list_notifications(user=user, now=NOW, limit=20, cursor=cursor)


def test_a_page_at_row_15000_reads_as_few_buffers_as_the_second_page(heavy):
    user = heavy.user
    _, shallow = _analyzed(_page_at(user, 20))
    deep_plan, deep = _analyzed(_page_at(user, DEPTH))

    # The cursor is where the index scan starts, not a filter on the rows before it.
    assert re.search(r"Index Cond: .*ROW\(created_at, id\) <", deep_plan), deep_plan
    assert "Index Scan using notification_list_idx" in deep_plan
    assert deep <= shallow + 10, (shallow, deep, deep_plan)


def test_the_deep_page_has_the_rows_after_the_cursor(heavy):
    user = heavy.user
    everything = selectors.list_notifications(user=user, now=NOW, limit=DEPTH + 20).items
    page = _page_at(user, DEPTH)()

    assert [row.id for row in page.items] == [row.id for row in everything[DEPTH:]]


@pytest.mark.django_db(transaction=True)
def test_the_unread_count_reads_no_expired_notification(customer, other_customer):
    """Both customers have 20 unread notifications among 5,000 read ones; one also has
    8,000 that expired unread (the purge takes them later). Vacuumed, as autovacuum keeps
    the table in production: the count is then read from its index alone."""
    for user in (customer.user, other_customer.user):
        make(user, 20)
        make(user, 5_000, start=NOW - timedelta(hours=1), read_at=NOW)
    make(
        other_customer.user,
        8_000,
        start=NOW - timedelta(days=31),
        step=timedelta(seconds=10),
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE notifications_notification")

    _, light = _analyzed(lambda: selectors.count_unread_notifications(user=customer.user, now=NOW))
    heavy_plan, heavy = _analyzed(
        lambda: selectors.count_unread_notifications(user=other_customer.user, now=NOW)
    )

    assert "notification_unread_count_idx" in heavy_plan, heavy_plan
    assert re.search(r"Index Cond: .*expires_at >", heavy_plan), heavy_plan
    assert heavy <= light + 5, (light, heavy, heavy_plan)
    assert selectors.count_unread_notifications(user=other_customer.user, now=NOW) == 20
