"""Every compiled-once statement fills in to exactly what the ORM compiles.

A statement whose values reach the SQL in a way its slots do not cover falls back to
compiling on every read: still right, but several times slower than the database needs,
and silent but for one log line. These tests make that visible for every statement of the
project, in every shape the code asks for.
"""

from __future__ import annotations

import itertools
import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

from accounts import sessions
from accounts.models import User
from billing import selectors as billing_selectors
from dashboard import selectors as dashboard_selectors
from dashboard.activity import RECENT_ACTIVITY_LIMIT
from notifications import selectors as notification_selectors
from notifications.models import Notification
from portal import statements
from portal.statements import STATEMENTS, Statement, Values

pytestmark = pytest.mark.django_db

MOMENTS = [
    datetime(2026, 12, 7, 14, 59, 59, tzinfo=UTC),  # 23:59:59 in Tokyo
    datetime(2026, 12, 7, 15, 0, 0, tzinfo=UTC),  # midnight in Tokyo, still the 7th in UTC
    datetime(2027, 2, 28, 23, 30, 0, 123456, tzinfo=UTC),
]


def _values(now: datetime) -> dict[str, Any]:
    return {
        "customer_id": 41,
        "user_id": 42,
        "now": now,
        "today": date.fromordinal(now.toordinal()),
        "category": "billing",
        "cursor_value": datetime(2026, 11, 30, 1, 2, 3, 456789, tzinfo=UTC),
        "cursor_id": 7,
        "session_key": "k1o2ncx1f0qk5m3b0r7l0v0d8xq4s2ha",
    }


_LIST_SHAPES = [
    notification_selectors._ListShape(*flags, limit=limit, unread_count=unread_count, badge=badge)
    for flags in itertools.product((False, True), repeat=4)
    for limit in (1, 3, 20, 100)
    for unread_count, badge in itertools.product((False, True), repeat=2)
]
# Every statement and the shapes the code asks it for.
CASES: list[tuple[Statement[Any], list[Any]]] = [
    (dashboard_selectors.FACTS, [RECENT_ACTIVITY_LIMIT]),
    (
        notification_selectors.COUNTS,
        [("unread",), ("unseen",), ("unread", "unseen"), ("badge",), ("badge", "unread")],
    ),
    (notification_selectors.LIST, _LIST_SHAPES),
    (billing_selectors.PAYMENT_METHOD_COUNT, [None]),
    (sessions.LIVE_SESSION, [None]),
]


def _orm_compiled(queryset: QuerySet[Any]) -> tuple[str, tuple[Any, ...]]:
    sql, params = queryset.query.get_compiler(DEFAULT_DB_ALIAS).as_sql()
    return sql, tuple(params)


def test_every_statement_is_tested():
    assert {id(statement) for statement in STATEMENTS} == {id(case[0]) for case in CASES}


@pytest.mark.parametrize(
    ("statement", "shapes"), CASES, ids=["facts", "counts", "list", "payment methods", "session"]
)
@pytest.mark.parametrize("now", MOMENTS, ids=lambda moment: moment.isoformat())
def test_filling_in_gives_what_the_orm_compiles(
    statement: Statement[Any], shapes: list[Any], now: datetime
):
    values = _values(now)
    for shape in shapes:
        assert statement.compiled(shape) is not None, shape
        assert statement.sql(shape, values) == _orm_compiled(statement.queryset(shape, values))


@pytest.fixture
def unslotted() -> Any:
    """A statement whose value is changed on its way into the SQL, so no slot can hold it."""

    def build(shape: None, values: Values) -> QuerySet[User]:
        return User.objects.filter(email=values["email"].lower())

    statement = Statement(build, probes=({"email": "ONE@probe"}, {"email": "TWO@probe"}))
    yield statement
    STATEMENTS.remove(statement)


def test_a_statement_that_cannot_be_filled_in_compiles_per_read_and_says_so(
    unslotted: Statement[None], caplog: pytest.LogCaptureFixture
):
    with caplog.at_level(logging.ERROR, logger="portal.statements"):
        assert unslotted.compiled(None) is None
    assert "could not be compiled once" in caplog.text
    sql, params = unslotted.sql(None, {"email": "Kenji@Example.jp"})
    assert params == ("kenji@example.jp",)
    assert sql == _orm_compiled(User.objects.filter(email="kenji@example.jp"))[0]


def test_rows_read_through_a_statement_equal_what_the_orm_reads(customer):
    """Times in UTC, JSON decoded, every field: whether PostgreSQL or SQLite answers."""
    now = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
    created = [
        Notification.objects.create(
            user=customer.user,
            type="SYSTEM_ANNOUNCEMENT",
            context={"title": "Maintenance", "message": "Tonight.", "announcement_id": index},
            category="announcements",
            severity="info",
            source="announcement",
            source_id=str(index),
            created_at=now - timedelta(minutes=index),
            expires_at=now + timedelta(days=30),
            read_at=now - timedelta(seconds=index, microseconds=123456) if index % 2 else None,
            snoozed_until=now - timedelta(hours=1) if index == 3 else None,
        )
        for index in range(5)
    ]
    page = notification_selectors.list_notifications(user=customer.user, now=now, limit=20)
    through_orm = {row.pk: row for row in Notification.objects.filter(user=customer.user)}
    assert sorted(row.pk for row in page.items) == sorted(row.pk for row in created)
    fields = [field.attname for field in Notification._meta.concrete_fields]
    for row in page.items:
        for name in fields:
            mine, theirs = getattr(row, name), getattr(through_orm[row.pk], name)
            assert mine == theirs, name
            if isinstance(theirs, datetime):
                assert mine.tzinfo == theirs.tzinfo == UTC, name
        assert row._state.adding is False
        assert row._state.db == DEFAULT_DB_ALIAS


@pytest.mark.postgres
@pytest.mark.parametrize("max_age", [0, 60])
def test_a_connection_that_outlives_the_request_prepares_and_a_one_off_does_not(
    customer, monkeypatch: pytest.MonkeyPatch, max_age: int
):
    connection = connections[DEFAULT_DB_ALIAS]
    connection.ensure_connection()
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", max_age)
    with statements._cursor(connection) as cursor:
        assert (type(cursor.cursor) is psycopg.ClientCursor) is (max_age == 0)
    now = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
    user = customer.user
    expected = notification_selectors.unread_notifications(user=user, now=now).count()
    for _ in range(2):
        assert notification_selectors.count_unread_notifications(user=user, now=now) == expected
    if max_age:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                ['%AS "unread"%'],
            )
            assert cursor.fetchone()[0] >= 1


@pytest.mark.postgres
def test_no_statement_is_prepared_when_preparing_is_off(customer, monkeypatch: pytest.MonkeyPatch):
    """PREPARED_STATEMENTS=false (a pooler that does not track them) leaves psycopg's
    threshold at None, which Django's default is too."""
    connection = connections[DEFAULT_DB_ALIAS]
    connection.ensure_connection()
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    monkeypatch.setattr(connection.connection, "prepare_threshold", None)
    with statements._cursor(connection) as cursor:
        assert type(cursor.cursor) is psycopg.ClientCursor
