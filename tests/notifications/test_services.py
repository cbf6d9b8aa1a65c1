from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from notifications.models import Notification
from notifications.services.inbox import dismiss, mark_all_read, mark_read
from notifications.services.notify import notify, notify_many
from portal.text import Text
from tests.factories import CustomerFactory, NotificationFactory, UserFactory
from tests.notifications.samples import SAMPLE_CONTEXTS

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
ORDER = SAMPLE_CONTEXTS["ORDER_ACTIVATED"]


def activated(user, *, now=NOW, source_id="801ORDER", **kwargs):
    return notify(
        user=user,
        type="ORDER_ACTIVATED",
        source_id=source_id,
        context=kwargs.pop("context", ORDER),
        now=now,
        **kwargs,
    )


def test_notify_stores_the_rendered_catalog_entry(customer):
    notification = activated(customer.user)
    assert notification.type == "ORDER_ACTIVATED"
    assert notification.title == "Your order is active"
    assert notification.message == "Order ORD-1 (SIM 3GB) is now active."
    assert notification.action_url == "/account/orders/1"
    assert notification.action_label == "View order"
    assert notification.source == "order"
    assert notification.source_id == "801ORDER"
    assert notification.created_at == NOW
    assert notification.expires_at == NOW + timedelta(days=30)
    assert notification.read_at is None


def test_source_ids_are_stored_as_text(customer):
    notification = notify(
        user=customer.user,
        type="INVOICE_DUE",
        source_id=42,
        context=SAMPLE_CONTEXTS["INVOICE_DUE"],
        now=NOW,
    )
    assert notification.source_id == "42"


def test_notifications_are_read_in_the_readers_language(customer):
    notification = notify(
        user=customer.user,
        type="INVOICE_DUE",
        source_id=42,
        context=SAMPLE_CONTEXTS["INVOICE_DUE"],
        now=NOW,
    )
    assert "5,500円" in notification.rendered("ja").message
    assert "¥5,500" in notification.rendered("en").message


def test_a_login_without_a_customer_gets_the_default_language():
    notification = activated(UserFactory())
    assert notification.title == "Your order is active"


@pytest.mark.parametrize(
    ("type", "inside", "outside"),
    [
        ("ORDER_ACTIVATED", timedelta(minutes=59), timedelta(minutes=61)),
        ("VERIFICATION_REJECTED", timedelta(minutes=59), timedelta(minutes=61)),
        # Daily reminders: one per Tokyo calendar day (NOW is 10:00 there).
        ("INVOICE_DUE", timedelta(hours=13, minutes=59), timedelta(hours=14, minutes=1)),
        (
            "PAYMENT_METHOD_EXPIRING",
            timedelta(hours=13, minutes=59),
            timedelta(hours=14, minutes=1),
        ),
        ("SYSTEM_ANNOUNCEMENT", timedelta(hours=23, minutes=59), timedelta(hours=24, minutes=1)),
    ],
)
def test_the_dedupe_window_holds_to_its_edge(customer, type, inside, outside):
    def send(at):
        return notify(
            user=customer.user, type=type, source_id="S1", context=SAMPLE_CONTEXTS[type], now=at
        )

    assert send(NOW) is not None
    assert send(NOW + inside) is None
    assert send(NOW + outside) is not None
    assert Notification.objects.filter(user=customer.user, type=type).count() == 2


@pytest.mark.parametrize("state", ["read_at", "archived_at"])
def test_read_or_dismissed_notifications_still_count_for_the_window(customer, state):
    first = activated(customer.user)
    Notification.objects.filter(pk=first.pk).update(**{state: NOW})
    assert activated(customer.user, now=NOW + timedelta(minutes=30)) is None


def test_another_user_type_or_source_is_not_a_duplicate(customer, other_customer):
    assert activated(customer.user) is not None
    assert activated(other_customer.user) is not None
    assert activated(customer.user, source_id="801OTHER") is not None
    approved = notify(
        user=customer.user, type="ORDER_APPROVED", source_id="801ORDER", context=ORDER, now=NOW
    )
    assert approved is not None


def test_a_duplicate_costs_one_statement(customer):
    activated(customer.user)
    with CaptureQueriesContext(connection) as queries:
        assert activated(customer.user, now=NOW + timedelta(minutes=1)) is None
    assert len(queries) == 1


# --- notify_many --------------------------------------------------------------------------


announcement_context = {
    "title": Text(en="Maintenance", ja="メンテナンス"),
    "message": Text(en="Tonight", ja="今夜"),
    "announcement_id": 5,
}


def test_notify_many_creates_one_per_recipient_read_in_their_language():
    english, japanese = CustomerFactory(), CustomerFactory(language="ja")
    created = notify_many(
        user_ids=[english.user_id, japanese.user_id],
        type="SYSTEM_ANNOUNCEMENT",
        source_id=5,
        context=announcement_context,
        now=NOW,
    )
    assert created == 2
    assert Notification.objects.get(user=english.user).rendered("en").title == "Maintenance"
    assert Notification.objects.get(user=japanese.user).rendered("ja").title == "メンテナンス"


def test_notify_many_skips_recipients_inside_the_window(customer, other_customer):
    recipients = [customer.user_id, other_customer.user_id]
    kwargs = {"type": "SYSTEM_ANNOUNCEMENT", "source_id": 5, "context": announcement_context}
    notify_many(user_ids=recipients[:1], now=NOW, **kwargs)
    assert notify_many(user_ids=recipients, now=NOW + timedelta(hours=1), **kwargs) == 1
    assert Notification.objects.filter(type="SYSTEM_ANNOUNCEMENT").count() == 2


def test_notify_many_costs_the_same_for_three_or_thirty_recipients():
    def cost(count):
        users = [CustomerFactory().user_id for _ in range(count)]
        with CaptureQueriesContext(connection) as queries:
            notify_many(
                user_ids=users,
                type="SYSTEM_ANNOUNCEMENT",
                source_id=f"cost-{count}",
                context=announcement_context,
                now=NOW,
            )
        return len(queries)

    assert cost(3) == cost(30)


# --- read, read all, dismiss --------------------------------------------------------------


def test_mark_read_sets_the_time_once(customer):
    notification = NotificationFactory(user=customer.user, created_at=NOW)
    first = mark_read(user=customer.user, notification_id=notification.pk, now=NOW)
    again = mark_read(
        user=customer.user, notification_id=notification.pk, now=NOW + timedelta(hours=1)
    )
    assert first.read_at == again.read_at == NOW


def test_another_users_notification_cannot_be_read_or_dismissed(customer, other_customer):
    theirs = NotificationFactory(user=other_customer.user, created_at=NOW)
    with pytest.raises(Http404):
        mark_read(user=customer.user, notification_id=theirs.pk, now=NOW)
    with pytest.raises(Http404):
        dismiss(user=customer.user, notification_id=theirs.pk, now=NOW)
    theirs.refresh_from_db()
    assert theirs.read_at is None and theirs.archived_at is None


def test_mark_all_read_changes_only_visible_unread_ones(customer, other_customer):
    unread = [NotificationFactory(user=customer.user, created_at=NOW) for _ in range(3)]
    NotificationFactory(user=customer.user, created_at=NOW, read_at=NOW)
    NotificationFactory(user=customer.user, created_at=NOW, archived_at=NOW)
    NotificationFactory(user=customer.user, created_at=NOW - timedelta(days=31))
    NotificationFactory(user=other_customer.user, created_at=NOW)
    assert mark_all_read(user=customer.user, now=NOW) == 3
    assert all(Notification.objects.get(pk=n.pk).read_at == NOW for n in unread)
    assert Notification.objects.get(user=other_customer.user).read_at is None
    assert mark_all_read(user=customer.user, now=NOW) == 0


def test_dismissing_twice_is_fine(customer):
    notification = NotificationFactory(user=customer.user, created_at=NOW)
    dismiss(user=customer.user, notification_id=notification.pk, now=NOW)
    dismiss(user=customer.user, notification_id=notification.pk, now=NOW + timedelta(1))
    notification.refresh_from_db()
    assert notification.archived_at == NOW
