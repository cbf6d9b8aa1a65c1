"""Seen, read, archived and snoozed: the states of the inbox, its counts and its filters."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Count

from notifications import selectors
from notifications.models import Notification
from notifications.services.inbox import (
    archive,
    bulk_update,
    dismiss,
    mark_all_seen,
    mark_read,
    snooze,
    snooze_choice_until,
    unarchive,
)
from notifications.services.preferences import update_notification_preferences
from portal.api_errors import ApplicationError
from tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=TOKYO)


def counts(user, now=NOW) -> tuple[int, int]:
    return (
        selectors.count_unread_notifications(user=user, now=now),
        selectors.count_unseen_notifications(user=user, now=now),
    )


def listed(user, now=NOW, **filters) -> list[int]:
    page = selectors.list_notifications(user=user, now=now, limit=100, **filters)
    return [notification.pk for notification in page.items]


def test_opening_the_bell_marks_everything_visible_seen_but_not_read(customer):
    first = NotificationFactory(user=customer.user, created_at=NOW)
    NotificationFactory(user=customer.user, created_at=NOW)
    assert counts(customer.user) == (2, 2)
    assert mark_all_seen(user=customer.user, now=NOW) == 2
    assert counts(customer.user) == (2, 0)
    first.refresh_from_db()
    assert first.seen_at == NOW and first.read_at is None
    assert mark_all_seen(user=customer.user, now=NOW) == 0


def test_reading_also_marks_seen_and_keeps_the_first_times(customer):
    notification = NotificationFactory(user=customer.user, created_at=NOW)
    mark_read(user=customer.user, notification_id=notification.pk, now=NOW)
    mark_read(user=customer.user, notification_id=notification.pk, now=NOW + timedelta(hours=1))
    notification.refresh_from_db()
    assert notification.read_at == NOW and notification.seen_at == NOW
    assert counts(customer.user) == (0, 0)


def test_archived_ones_leave_the_list_and_the_counts_and_come_back(customer):
    notification = NotificationFactory(user=customer.user, created_at=NOW)
    archived = archive(user=customer.user, notification_id=notification.pk, now=NOW)
    assert archived.is_archived and archived.archived_at == NOW
    assert listed(customer.user) == [] and counts(customer.user) == (0, 0)
    assert listed(customer.user, archived=True) == [notification.pk]
    # Archiving twice is fine and keeps the first time.
    again = archive(
        user=customer.user, notification_id=notification.pk, now=NOW + timedelta(hours=1)
    )
    assert again.archived_at == NOW
    back = unarchive(user=customer.user, notification_id=notification.pk)
    assert back.archived_at is None
    assert listed(customer.user) == [notification.pk] and counts(customer.user) == (1, 1)
    assert listed(customer.user, archived=True) == []


def test_dismiss_archives(customer):
    notification = NotificationFactory(user=customer.user, created_at=NOW)
    dismiss(user=customer.user, notification_id=notification.pk, now=NOW)
    assert listed(customer.user, archived=True) == [notification.pk]


def test_a_snoozed_one_is_hidden_until_then_and_comes_back_unread_and_unseen(customer):
    notification = NotificationFactory(user=customer.user, created_at=NOW, read_at=NOW, seen_at=NOW)
    until = NOW + timedelta(days=1)
    snoozed = snooze(user=customer.user, notification_id=notification.pk, until=until, now=NOW)
    assert snoozed.snoozed_until == until
    assert listed(customer.user) == [] and counts(customer.user) == (0, 0)
    later = until + timedelta(seconds=1)
    assert listed(customer.user, now=later) == [notification.pk]
    assert counts(customer.user, now=later) == (1, 1)


def test_snoozing_an_archived_one_brings_it_back_to_the_inbox_then(customer):
    notification = NotificationFactory(user=customer.user, created_at=NOW, archived_at=NOW)
    until = NOW + timedelta(hours=2)
    snooze(user=customer.user, notification_id=notification.pk, until=until, now=NOW)
    assert listed(customer.user, now=until) == [notification.pk]


@pytest.mark.parametrize(
    "ahead", [timedelta(minutes=59), timedelta(days=30, seconds=1), timedelta(hours=-1)]
)
def test_a_snooze_must_be_an_hour_to_30_days_ahead(customer, ahead):
    notification = NotificationFactory(user=customer.user, created_at=NOW)
    with pytest.raises(ApplicationError) as error:
        snooze(user=customer.user, notification_id=notification.pk, until=NOW + ahead, now=NOW)
    assert error.value.code == "validation_error" and "until" in error.value.fields


def test_the_snooze_choices_are_tomorrow_morning_and_next_monday_morning():
    wednesday_night = datetime(2026, 12, 2, 23, 30, tzinfo=TOKYO)
    tomorrow = snooze_choice_until(choice="tomorrow", now=wednesday_night)
    next_week = snooze_choice_until(choice="next_week", now=wednesday_night)
    assert tomorrow == datetime(2026, 12, 3, 9, 0, tzinfo=TOKYO)
    assert next_week == datetime(2026, 12, 7, 9, 0, tzinfo=TOKYO)
    sunday = datetime(2026, 12, 6, 12, 0, tzinfo=TOKYO)
    assert snooze_choice_until(choice="next_week", now=sunday) == datetime(
        2026, 12, 7, 9, 0, tzinfo=TOKYO
    )
    with pytest.raises(ApplicationError):
        snooze_choice_until(choice="someday", now=sunday)


def test_bulk_reads_and_archives_only_my_own(customer, other_customer):
    mine = [NotificationFactory(user=customer.user, created_at=NOW) for _ in range(3)]
    theirs = NotificationFactory(user=other_customer.user, created_at=NOW)
    ids = [notification.pk for notification in mine[:2]] + [theirs.pk, 999_999]
    assert bulk_update(user=customer.user, ids=ids, action="read", now=NOW) == 2
    assert bulk_update(user=customer.user, ids=ids, action="read", now=NOW) == 0
    assert counts(customer.user) == (1, 1)
    assert bulk_update(user=customer.user, ids=ids, action="archive", now=NOW) == 2
    assert listed(customer.user) == [mine[2].pk]
    theirs.refresh_from_db()
    assert theirs.read_at is None and theirs.archived_at is None


def test_bulk_refuses_more_than_100_and_unknown_actions(customer):
    with pytest.raises(ApplicationError) as too_many:
        bulk_update(user=customer.user, ids=list(range(1, 102)), action="read")
    assert "ids" in too_many.value.fields
    with pytest.raises(ApplicationError) as unknown:
        bulk_update(user=customer.user, ids=[1], action="delete")
    assert "action" in unknown.value.fields


def test_the_list_filters_by_category(customer):
    invoice = NotificationFactory(user=customer.user, type="INVOICE_DUE", created_at=NOW)
    NotificationFactory(user=customer.user, type="SYSTEM_ANNOUNCEMENT", created_at=NOW)
    assert listed(customer.user, category="billing") == [invoice.pk]
    with pytest.raises(ApplicationError):
        selectors.parse_category("weather")


def test_a_category_turned_off_in_app_is_hidden_except_critical_ones(customer):
    warning = NotificationFactory(user=customer.user, type="INVOICE_DUE", created_at=NOW)
    critical = NotificationFactory(
        user=customer.user, type="INVOICE_DUE", severity="critical", created_at=NOW
    )
    other = NotificationFactory(user=customer.user, type="SYSTEM_ANNOUNCEMENT", created_at=NOW)
    update_notification_preferences(user=customer.user, changes={"billing": {"in_app": False}})
    assert sorted(listed(customer.user)) == sorted([critical.pk, other.pk])
    assert counts(customer.user) == (2, 2)
    update_notification_preferences(user=customer.user, changes={"billing": {"in_app": True}})
    assert warning.pk in listed(customer.user)


def test_preferences_default_to_everything_but_announcement_email(customer):
    preferences = selectors.get_notification_preferences(user=customer.user)
    assert preferences["announcements"] == {"in_app": True, "email": False, "push": False}
    assert all(
        preferences[c] == {"in_app": True, "email": True, "push": True}
        for c in ("billing", "orders")
    )


def test_a_partial_change_keeps_everything_left_out(customer):
    update_notification_preferences(user=customer.user, changes={"orders": {"email": False}})
    result = update_notification_preferences(
        user=customer.user, changes={"orders": {"in_app": False}}
    )
    assert result["orders"] == {"in_app": False, "email": False, "push": True}
    assert result["billing"] == {"in_app": True, "email": True, "push": True}
    assert selectors.get_notification_preferences(user=customer.user) == result


@pytest.mark.parametrize(
    "changes", [{"weather": {"email": True}}, {"orders": {"sms": True}}, {"orders": {"email": 1}}]
)
def test_unknown_categories_channels_and_values_are_refused(customer, changes):
    with pytest.raises(ApplicationError) as error:
        update_notification_preferences(user=customer.user, changes=changes)
    assert error.value.code == "validation_error"


def test_every_change_moves_updated_at(customer):
    notification = NotificationFactory(user=customer.user, created_at=NOW)
    seen = []
    for change in (
        lambda: mark_all_seen(user=customer.user),
        lambda: archive(user=customer.user, notification_id=notification.pk),
        lambda: unarchive(user=customer.user, notification_id=notification.pk),
        lambda: bulk_update(user=customer.user, ids=[notification.pk], action="read"),
        lambda: snooze(
            user=customer.user,
            notification_id=notification.pk,
            until=datetime.now(TOKYO) + timedelta(days=1),
        ),
    ):
        change()
        seen.append(Notification.objects.get(pk=notification.pk).updated_at)
    assert seen == sorted(seen) and len(set(seen)) == len(seen)


def _bulk(user, count: int, **fields) -> None:
    Notification.objects.bulk_create(
        NotificationFactory.build(
            user=user,
            created_at=NOW - timedelta(minutes=index),
            source_id=f"bulk-{index}",
            **fields,
        )
        for index in range(count)
    )


def test_the_list_and_the_counts_cost_one_query_each_with_10000_rows(
    customer, django_assert_max_num_queries
):
    _bulk(customer.user, 10_000)
    _bulk(customer.user, 50, archived_at=NOW)
    for filters in ({}, {"category": "announcements"}, {"archived": True}, {"unread_only": True}):
        with django_assert_max_num_queries(1):
            page = selectors.list_notifications(user=customer.user, now=NOW, limit=20, **filters)
        assert len(page.items) == 20
    with django_assert_max_num_queries(1):
        assert selectors.count_unread_notifications(user=customer.user, now=NOW) == 10_000
    with django_assert_max_num_queries(1):
        assert selectors.count_unseen_notifications(user=customer.user, now=NOW) == 10_000


@pytest.mark.postgres
def test_the_counts_read_only_their_partial_indexes(customer, other_customer):
    from django.db import connection

    # As in life: a few unread, many read, some archived.
    _bulk(customer.user, 100)
    _bulk(customer.user, 3_000, read_at=NOW, seen_at=NOW)
    _bulk(customer.user, 1_000, read_at=NOW, seen_at=NOW, archived_at=NOW)
    _bulk(other_customer.user, 2_000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE notifications_notification")
        # Whether the planner may answer from the partial index at all (its predicate is
        # implied by the query), whatever it would pick for a table this small.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
    for queryset, index in (
        # Either unread index, with nothing expired (test_flat_reads.py: with expired ones,
        # the count's own, which skips them).
        (selectors.unread_notifications(user=customer.user, now=NOW), "notification_unread"),
        (selectors.unseen_notifications(user=customer.user, now=NOW), "notification_unseen_idx"),
    ):
        # What the counts run: COUNT(*) over the rows, from their partial index.
        counted = queryset.order_by().values("user_id").annotate(n=Count("*")).values("n")
        plan = counted.explain()
        assert f"using {index}" in plan, plan
