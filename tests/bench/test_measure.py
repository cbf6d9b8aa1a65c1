from __future__ import annotations

from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from bench import measure
from bench.data import Scale, load_bench_data
from notifications import catalog
from notifications.models import Announcement, AnnouncementStatus, Notification

pytestmark = pytest.mark.django_db

TINY = Scale(customers=12, heavy_invoices=2, heavy_notifications=2)


def bulk_broadcast(*, title: str, message: str, source_id: str, now: datetime) -> None:
    """A broadcast as the harness expects one: every customer, in batches."""
    template = catalog.get_template("SYSTEM_ANNOUNCEMENT")
    users = User.objects.filter(customer__isnull=False).values_list("pk", flat=True)
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=user_id,
                type="SYSTEM_ANNOUNCEMENT",
                context={"$legacy": {"title": title, "message": message}},
                category="announcements",
                severity="info",
                source="announcement",
                source_id=source_id,
                created_at=now,
                expires_at=now + template.expiry,
            )
            for user_id in users
        ],
        batch_size=500,
    )


def broadcast_needing_a_sender(*, title: str, sender: User) -> None:
    raise AssertionError("never called: the harness cannot supply `sender`")


def test_counts_the_statements_of_an_endpoint_for_both_customers(customer, other_customer):
    count = measure.count_queries(
        method="GET", path="/api/me", light=customer.user, heavy=other_customer.user
    )

    assert count.available
    assert count.light == count.heavy == 1
    assert count.heavy_statements and "accounts_user" in count.heavy_statements[0]


def test_an_endpoint_that_is_not_built_yet_is_not_available(customer, other_customer):
    count = measure.count_queries(
        method="GET", path="/api/not-built-yet", light=customer.user, heavy=other_customer.user
    )

    assert not count.available
    assert count.light is None
    assert count.heavy is None


def _unread_count_sql(user: User) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        Notification.objects.filter(
            user=user, read_at__isnull=True, archived_at__isnull=True
        ).count()
    return [query["sql"] for query in captured.captured_queries]


def test_the_unread_plan_is_read_from_the_one_statement_on_notifications(customer):
    statements = ['SELECT 1 FROM "accounts_user"', *_unread_count_sql(customer.user)]

    plan = measure.explain_unread_count(statements)

    assert plan.notification_statements == 1
    assert plan.statement == statements[1]
    if connection.vendor == "postgresql":
        assert "notifications_notification" in plan.plan
        assert "actual time" in plan.plan
    else:
        assert plan.plan == "(EXPLAIN needs PostgreSQL)"
        assert not plan.uses_unread_index


def test_two_statements_on_notifications_are_not_explained(customer):
    statements = _unread_count_sql(customer.user) * 2

    plan = measure.explain_unread_count(statements)

    assert plan.notification_statements == 2
    assert plan.statement is None
    assert not plan.uses_unread_index


def test_notify_timing_creates_then_deduplicates():
    load_bench_data(scale=TINY)

    timing = measure.time_notify(calls=4, max_seconds=30, run_id="test")

    assert timing.calls == 4
    assert timing.created == 4
    assert timing.duplicates == 4
    assert timing.created_per_second > 0
    assert timing.duplicates_per_second > 0
    assert timing.statements_per_duplicate == 1
    assert timing.statements_per_create > timing.statements_per_duplicate
    assert Notification.objects.filter(source_id__startswith="bench-notify-test").count() == 5


def test_a_missing_broadcast_service_is_not_available():
    timing = measure.time_broadcast(
        run_id="test", in_process=True, service_name="notifications.services.no_such_service"
    )

    assert not timing.available
    assert "no_such_service does not exist yet" in timing.detail


def test_a_broadcast_service_with_unknown_arguments_is_not_available():
    timing = measure.time_broadcast(
        run_id="test",
        in_process=True,
        service_name="tests.bench.test_measure.broadcast_needing_a_sender",
    )

    assert not timing.available
    assert "sender" in timing.detail
    assert "adapt broadcast_arguments" in timing.detail


@pytest.mark.parametrize("in_process", [True, False])
def test_the_broadcast_is_timed_until_every_customer_has_it(in_process):
    load_bench_data(scale=TINY)

    timing = measure.time_broadcast(
        run_id="test", in_process=in_process, service_name="tests.bench.test_measure.bulk_broadcast"
    )

    assert timing.available
    assert timing.detail == ""
    assert timing.customers == timing.rows == 12
    assert timing.seconds > 0
    # In process: the SELECT of the recipients and one INSERT; in workers: out of sight.
    assert timing.statements == (2 if in_process else None)
    assert Notification.objects.filter(type="SYSTEM_ANNOUNCEMENT").count() == 12
    assert Notification.objects.filter(source_id="bench-test").count() == 12


@pytest.mark.django_db(transaction=True)
def test_the_real_broadcast_sends_an_announcement_to_every_customer_in_batches():
    # Real commits, as in the harness: the sending task runs when queue_announcement commits.
    load_bench_data(scale=TINY)

    timing = measure.time_broadcast(run_id="test", in_process=True)

    assert timing.available, timing.detail
    assert timing.customers == timing.rows == 12
    assert timing.statements is not None
    assert timing.statements < 40
    announcement = Announcement.objects.get()
    assert announcement.title == "Bench: scheduled maintenance (test)"
    assert announcement.status == AnnouncementStatus.SENT
