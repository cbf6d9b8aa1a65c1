"""The inbox rows of the API: seen, archive, unarchive, snooze, bulk, filters, preferences."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def notification(customer):
    return NotificationFactory(user=customer.user, type="ORDER_ACTIVATED")


def test_a_notification_carries_its_inbox_state(api, notification):
    [item] = api.get("/api/notifications").json()["items"]
    assert item["seen"] is False and item["archived"] is False
    assert item["archivedAt"] is None and item["snoozedUntil"] is None
    assert (item["category"], item["severity"], item["retiredAt"]) == ("orders", "info", None)
    assert item["updatedAt"]


def test_the_count_has_unread_and_unseen(api, notification):
    assert api.get("/api/notifications/unread-count").json() == {"count": 1, "unseenCount": 1}
    assert api.post("/api/notifications/seen").json() == {"updated": 1}
    assert api.get("/api/notifications/unread-count").json() == {"count": 1, "unseenCount": 0}
    [item] = api.get("/api/notifications").json()["items"]
    assert item["seen"] is True and item["read"] is False


def test_archive_and_unarchive(api, notification):
    response = api.post(f"/api/notifications/{notification.pk}/archive")
    assert response.status_code == 200
    assert response.json()["archived"] is True and response.json()["archivedAt"]
    assert api.get("/api/notifications").json()["items"] == []
    assert api.get("/api/notifications/unread-count").json()["count"] == 0
    archived = api.get("/api/notifications?archived=true").json()["items"]
    assert [item["id"] for item in archived] == [notification.pk]
    response = api.post(f"/api/notifications/{notification.pk}/unarchive")
    assert response.status_code == 200 and response.json()["archived"] is False
    assert [item["id"] for item in api.get("/api/notifications").json()["items"]] == [
        notification.pk
    ]


def test_dismiss_stays_as_archive_with_204(api, notification):
    assert api.post(f"/api/notifications/{notification.pk}/dismiss").status_code == 204
    assert api.post(f"/api/notifications/{notification.pk}/dismiss").status_code == 204
    archived = api.get("/api/notifications?archived=true").json()["items"]
    assert [item["id"] for item in archived] == [notification.pk]


def test_snooze_hides_it_until_then(api, notification):
    until = timezone.now() + timedelta(days=2)
    response = api.post(
        f"/api/notifications/{notification.pk}/snooze",
        {"until": until.isoformat()},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["snoozedUntil"] is not None
    assert api.get("/api/notifications").json()["items"] == []
    assert api.get("/api/notifications/unread-count").json() == {"count": 0, "unseenCount": 0}


@pytest.mark.parametrize(
    "body",
    [{}, {"until": "tomorrow"}, {"until": "2020-01-01T00:00:00+09:00"}, {"until": None}],
)
def test_a_bad_snooze_is_a_400(api, notification, body):
    response = api.post(f"/api/notifications/{notification.pk}/snooze", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert "until" in response.json()["error"]["fields"]


def test_bulk_read_and_archive(api, customer, other_customer):
    mine = [NotificationFactory(user=customer.user) for _ in range(3)]
    theirs = NotificationFactory(user=other_customer.user)
    ids = [mine[0].pk, mine[1].pk, theirs.pk]
    read = api.post("/api/notifications/bulk", {"ids": ids, "action": "read"}, format="json")
    assert read.status_code == 200 and read.json() == {"updated": 2}
    archive = api.post("/api/notifications/bulk", {"ids": ids, "action": "archive"}, format="json")
    assert archive.json() == {"updated": 2}
    assert [item["id"] for item in api.get("/api/notifications").json()["items"]] == [mine[2].pk]
    theirs.refresh_from_db()
    assert theirs.read_at is None and theirs.archived_at is None


@pytest.mark.parametrize(
    "body",
    [
        {"ids": list(range(1, 102)), "action": "read"},
        {"ids": [1], "action": "delete"},
        {"ids": "1,2", "action": "read"},
        {"ids": ["x"], "action": "read"},
        # Past any id a row can have (SQLite's driver would overflow on it).
        {"ids": [2**63], "action": "read"},
        {"action": "read"},
    ],
)
def test_a_bad_bulk_request_is_a_400(api, body):
    response = api.post("/api/notifications/bulk", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_the_category_filter(api, customer):
    invoice = NotificationFactory(user=customer.user, type="INVOICE_DUE")
    NotificationFactory(user=customer.user, type="ORDER_ACTIVATED")
    items = api.get("/api/notifications?category=billing").json()["items"]
    assert [item["id"] for item in items] == [invoice.pk]
    response = api.get("/api/notifications?category=weather")
    assert response.status_code == 400 and "category" in response.json()["error"]["fields"]
    assert api.get("/api/notifications?archived=maybe").status_code == 400


@pytest.mark.parametrize("action", ["archive", "unarchive", "snooze"])
def test_another_customers_notification_is_404(other_api, notification, action):
    body = {"until": (timezone.now() + timedelta(days=1)).isoformat()}
    response = other_api.post(f"/api/notifications/{notification.pk}/{action}", body, format="json")
    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.archived_at is None and notification.snoozed_until is None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/notifications/seen"),
        ("post", "/api/notifications/1/archive"),
        ("post", "/api/notifications/1/unarchive"),
        ("post", "/api/notifications/1/snooze"),
        ("post", "/api/notifications/bulk"),
        ("get", "/api/me/notification-preferences"),
        ("put", "/api/me/notification-preferences"),
    ],
)
def test_every_row_needs_credentials(anonymous_api, method, path):
    response = getattr(anonymous_api, method)(path, {}, format="json")
    assert response.status_code == 401


# --- Preferences ----------------------------------------------------------------------------


def test_the_preferences_have_the_documented_defaults(api):
    body = api.get("/api/me/notification-preferences").json()
    assert body == {
        "categories": {
            "billing": {"inApp": True, "email": True, "push": True},
            "orders": {"inApp": True, "email": True, "push": True},
            "services": {"inApp": True, "email": True, "push": True},
            "account": {"inApp": True, "email": True, "push": True},
            "announcements": {"inApp": True, "email": False, "push": False},
        }
    }


def test_a_partial_put_keeps_what_is_left_out(api, other_api):
    response = api.put(
        "/api/me/notification-preferences",
        {"categories": {"announcements": {"email": True}, "orders": {"inApp": False}}},
        format="json",
    )
    assert response.status_code == 200
    categories = response.json()["categories"]
    assert categories["announcements"] == {"inApp": True, "email": True, "push": False}
    assert categories["orders"] == {"inApp": False, "email": True, "push": True}
    assert categories["billing"] == {"inApp": True, "email": True, "push": True}
    assert api.get("/api/me/notification-preferences").json()["categories"] == categories
    # Someone else's preferences did not move.
    assert other_api.get("/api/me/notification-preferences").json()["categories"]["orders"] == {
        "inApp": True,
        "email": True,
        "push": True,
    }


def test_the_same_put_twice_is_the_same_answer(api):
    body = {"categories": {"billing": {"email": False}}}
    first = api.put("/api/me/notification-preferences", body, format="json")
    second = api.put("/api/me/notification-preferences", body, format="json")
    assert first.json() == second.json()


@pytest.mark.parametrize(
    "body",
    [
        {"categories": {"weather": {"email": True}}},
        {"categories": {"billing": {"sms": True}}},
        {"categories": {"billing": {"email": "yes"}}},
        {"categories": {"billing": True}},
        {"categories": []},
        {"billing": {"email": True}},
        [],
    ],
)
def test_unknown_or_malformed_preferences_are_a_400(api, body):
    response = api.put("/api/me/notification-preferences", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
