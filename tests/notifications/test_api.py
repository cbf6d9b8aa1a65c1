from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from notifications import selectors
from notifications.models import Notification
from tests.factories import NotificationFactory
from tests.notifications.test_selectors import make

pytestmark = pytest.mark.django_db

ISO_TOKYO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00$")
NOTIFICATION_KEYS = {
    "id",
    "type",
    "title",
    "message",
    "actionUrl",
    "actionLabel",
    "source",
    "sourceId",
    "read",
    "readAt",
    "createdAt",
    "expiresAt",
    "seen",
    "archived",
    "archivedAt",
    "snoozedUntil",
    "category",
    "severity",
    "retiredAt",
    "updatedAt",
}


@pytest.fixture
def notification(customer):
    return NotificationFactory(
        user=customer.user,
        type="ORDER_ACTIVATED",
        title="Your order is active",
        message="Order ORD-000017 (SIM Data 20GB) is now active.",
        action_url="/account/orders/17",
        action_label="View order",
        source="order",
        source_id="8015g00000AbCdE",
    )


def test_the_list_answers_the_documented_shape(api, notification):
    response = api.get("/api/notifications")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"items", "nextCursor", "unreadCount"}
    assert body["nextCursor"] is None
    assert body["unreadCount"] == 1
    [item] = body["items"]
    assert set(item) == NOTIFICATION_KEYS
    assert item["id"] == notification.pk
    assert item["type"] == "ORDER_ACTIVATED"
    assert item["actionUrl"] == "/account/orders/17"
    assert item["actionLabel"] == "View order"
    assert (item["source"], item["sourceId"]) == ("order", "8015g00000AbCdE")
    assert (item["read"], item["readAt"]) == (False, None)
    assert ISO_TOKYO.match(item["createdAt"]) and ISO_TOKYO.match(item["expiresAt"])


def test_the_list_pages_with_a_cursor_newest_first(api, customer):
    make(customer.user, 5, start=timezone.now())
    first = api.get("/api/notifications?limit=3").json()
    second = api.get(f"/api/notifications?limit=3&cursor={first['nextCursor']}").json()
    titles = [item["title"] for item in first["items"] + second["items"]]
    assert titles == [f"Announcement {index}" for index in range(5)]
    assert second["nextCursor"] is None


def test_unread_only_lists_unread_ones(api, customer, notification):
    NotificationFactory(user=customer.user, read_at=timezone.now())
    body = api.get("/api/notifications?unreadOnly=true").json()
    assert [item["id"] for item in body["items"]] == [notification.pk]
    assert len(api.get("/api/notifications?unreadOnly=false").json()["items"]) == 2


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=WzFd", "cursor"),
        ("unreadOnly=maybe", "unreadOnly"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_parameter(api, query, field):
    response = api.get(f"/api/notifications?{query}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"]


def test_the_unread_count(api, customer, notification):
    NotificationFactory(user=customer.user, read_at=timezone.now())
    NotificationFactory(user=customer.user, archived_at=timezone.now())
    assert api.get("/api/notifications/unread-count").json()["count"] == 1


def test_reading_answers_the_notification_and_reading_twice_is_fine(api, notification):
    first = api.post(f"/api/notifications/{notification.pk}/read")
    assert first.status_code == 200
    assert set(first.json()) == NOTIFICATION_KEYS
    assert first.json()["read"] is True
    assert ISO_TOKYO.match(first.json()["readAt"])
    again = api.post(f"/api/notifications/{notification.pk}/read")
    assert again.status_code == 200
    assert again.json()["readAt"] == first.json()["readAt"]
    assert api.get("/api/notifications/unread-count").json()["count"] == 0


def test_read_all_answers_how_many_changed(api, customer):
    for _ in range(3):
        NotificationFactory(user=customer.user)
    assert api.post("/api/notifications/read-all").json() == {"updated": 3}
    assert api.post("/api/notifications/read-all").json() == {"updated": 0}


def test_dismissing_is_a_204_and_the_notification_is_gone(api, notification):
    response = api.post(f"/api/notifications/{notification.pk}/dismiss")
    assert response.status_code == 204
    assert api.get("/api/notifications").json()["items"] == []
    assert api.get("/api/notifications/unread-count").json()["count"] == 0
    assert api.post(f"/api/notifications/{notification.pk}/dismiss").status_code == 204


@pytest.mark.parametrize("action", ["read", "dismiss"])
def test_another_customers_notification_is_404(other_api, notification, action):
    response = other_api.post(f"/api/notifications/{notification.pk}/{action}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    notification.refresh_from_db()
    assert notification.read_at is None and notification.archived_at is None


def test_other_customers_never_see_my_notifications(other_api, notification):
    assert other_api.get("/api/notifications").json()["items"] == []
    assert other_api.get("/api/notifications/unread-count").json()["count"] == 0
    assert other_api.post("/api/notifications/read-all").json() == {"updated": 0}
    notification.refresh_from_db()
    assert notification.read_at is None


def test_an_unknown_notification_is_404(api):
    assert api.post("/api/notifications/999999/read").status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/notifications"),
        ("get", "/api/notifications/unread-count"),
        ("post", "/api/notifications/1/read"),
        ("post", "/api/notifications/read-all"),
        ("post", "/api/notifications/1/dismiss"),
    ],
)
def test_every_endpoint_needs_credentials(anonymous_api, method, path):
    response = getattr(anonymous_api, method)(path)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("count", [2, 3000])
def test_list_and_count_cost_the_same_for_light_and_heavy_customers(
    api, customer, count, django_assert_num_queries
):
    make(customer.user, count, start=timezone.now())
    # Identity (1), the page with the unread count on its rows (1).
    with django_assert_num_queries(2):
        assert api.get("/api/notifications").json()["unreadCount"] == count
    # A page with no rows: identity, the page, the count.
    with django_assert_num_queries(3):
        assert api.get("/api/notifications?category=billing").json()["unreadCount"] == count
    # Identity (1), the unread and the unseen count (1).
    with django_assert_num_queries(2):
        assert api.get("/api/notifications/unread-count").json()["count"] == count
    with django_assert_num_queries(2):
        assert api.post("/api/notifications/read-all").json() == {"updated": count}


def test_expired_notifications_are_not_listed(api, customer):
    NotificationFactory(user=customer.user, created_at=timezone.now() - timedelta(days=31))
    assert api.get("/api/notifications").json() == {
        "items": [],
        "nextCursor": None,
        "unreadCount": 0,
    }
    assert Notification.objects.count() == 1


def test_the_schema_documents_every_endpoint(api):
    schema = api.get("/api/schema/?format=json").json()
    for path in (
        "/api/notifications",
        "/api/notifications/unread-count",
        "/api/notifications/read-all",
        "/api/notifications/{notification_id}/read",
        "/api/notifications/{notification_id}/dismiss",
        "/api/me/status",
        "/api/me/summary",
    ):
        assert path in schema["paths"], path
    status = schema["components"]["schemas"]["MeStatusOutput"]["properties"]
    assert set(status) == {
        "summary",
        "internetEligibility",
        "residenceCardVerification",
        "paymentMethods",
        "tasks",
    }


def test_the_written_out_notification_is_what_the_declared_fields_give(customer):
    from rest_framework import serializers

    from notifications.api import NotificationOutput

    read = NotificationFactory(user=customer.user, read_at=timezone.now(), source_id="42")
    unread = NotificationFactory(user=customer.user, snoozed_until=timezone.now())
    for notification in (read, unread):
        generic = serializers.Serializer.to_representation(NotificationOutput(), notification)
        assert NotificationOutput(notification).data == generic


def test_the_written_out_list_is_what_its_declared_serializer_gives(api, customer):
    from notifications.api import NotificationListOutput

    NotificationFactory(user=customer.user, read_at=timezone.now())
    NotificationFactory(user=customer.user)
    answer = api.get("/api/notifications?limit=1").json()
    page = selectors.list_notifications(user=customer.user, now=timezone.now(), limit=1)
    declared = {"items": page.items, "nextCursor": page.next_cursor, "unreadCount": 1}
    assert answer == NotificationListOutput(declared).data
