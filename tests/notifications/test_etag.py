"""ETag and If-None-Match on the notification list and the unread count."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from notifications.models import Notification
from notifications.services.inbox import mark_read
from notifications.services.notify import notify

pytestmark = pytest.mark.django_db

PATHS = ["/api/notifications", "/api/notifications/unread-count"]


def announce(user, n=1):
    return notify(
        user=user,
        type="SYSTEM_ANNOUNCEMENT",
        source_id=f"etag-{n}",
        context={"title": "Maintenance", "message": "Tonight.", "announcement_id": 1},
    )


# The tag is the answer's JSON: a 304 costs what the answer does (the user with the customer
# for the token, then the page and the unread count, or the two counts in one statement),
# which is less than an aggregate over every row of a customer with thousands would.
@pytest.mark.parametrize(("path", "statements"), list(zip(PATHS, [3, 2], strict=True)))
def test_an_unchanged_inbox_is_a_304_with_no_body(
    api, customer, path, statements, django_assert_max_num_queries
):
    announce(customer.user)
    etag = api.get(path)["ETag"]

    with django_assert_max_num_queries(statements):
        response = api.get(path, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


@pytest.mark.parametrize("path", PATHS)
def test_a_new_notification_changes_the_etag(api, customer, path):
    etag = api.get(path)["ETag"]
    announce(customer.user)
    response = api.get(path, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag


@pytest.mark.parametrize("path", PATHS)
def test_reading_one_changes_the_etag(api, customer, path):
    notification = announce(customer.user)
    etag = api.get(path)["ETag"]
    mark_read(user=customer.user, notification_id=notification.pk)
    assert api.get(path, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_turning_a_category_off_changes_the_etag(api, customer):
    announce(customer.user)
    etag = api.get("/api/notifications")["ETag"]
    api.put(
        "/api/me/notification-preferences",
        {"categories": {"announcements": {"inApp": False}}},
        format="json",
    )
    response = api.get("/api/notifications", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["items"] == []


def test_a_bulk_update_changes_the_etag(api, customer):
    announce(customer.user)
    etag = api.get("/api/notifications")["ETag"]
    Notification.objects.filter(user=customer.user).update(read_at=timezone.now())
    assert api.get("/api/notifications", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_a_deleted_notification_changes_the_etag(api, customer):
    announce(customer.user, 1)
    older = announce(customer.user, 2)
    etag = api.get("/api/notifications")["ETag"]
    Notification.objects.filter(pk=older.pk).delete()
    assert api.get("/api/notifications", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_an_expiry_passing_changes_the_etag(browser_client, customer):
    notification = announce(customer.user)
    expires_at = timezone.now() + timedelta(hours=1)
    Notification.objects.filter(pk=notification.pk).update(expires_at=expires_at)
    etag = browser_client.get("/api/notifications")["ETag"]

    with time_machine.travel(expires_at - timedelta(minutes=1)):
        assert browser_client.get("/api/notifications", HTTP_IF_NONE_MATCH=etag).status_code == 304
    with time_machine.travel(expires_at + timedelta(minutes=1)):
        response = browser_client.get("/api/notifications", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["items"] == []


def test_a_snooze_ending_changes_the_etag(browser_client, customer):
    notification = announce(customer.user)
    until = timezone.now() + timedelta(hours=2)
    Notification.objects.filter(pk=notification.pk).update(snoozed_until=until)
    etag = browser_client.get("/api/notifications")["ETag"]

    with time_machine.travel(until + timedelta(minutes=1)):
        response = browser_client.get("/api/notifications", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert [item["id"] for item in response.json()["items"]] == [notification.pk]


def test_the_language_changes_the_etag(api, customer):
    announce(customer.user)
    etag = api.get("/api/notifications")["ETag"]
    customer.language = "ja" if customer.language == "en" else "en"
    customer.save(update_fields=["language"])
    assert api.get("/api/notifications", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_another_customers_writes_leave_our_etag_alone(api, customer, other_customer):
    announce(customer.user)
    etag = api.get("/api/notifications")["ETag"]
    announce(other_customer.user)
    assert api.get("/api/notifications", HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_no_login_is_a_401(anonymous_api):
    assert anonymous_api.get("/api/notifications", HTTP_IF_NONE_MATCH="*").status_code == 401


@pytest.mark.parametrize("path", PATHS)
def test_the_304_keeps_the_etag_and_stays_private(api, customer, path):
    announce(customer.user)
    first = api.get(path)
    assert first["Cache-Control"] == "private, no-cache"

    again = api.get(path, HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == "private, no-cache"
