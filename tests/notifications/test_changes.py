"""GET /api/notifications/changes: incremental sync across devices, and the stream's key."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from notifications.changes import ChangeKey
from notifications.models import Notification
from notifications.services.inbox import mark_read
from notifications.services.notify import notify
from tests.factories import NotificationFactory

URL = "/api/notifications/changes"


def announce(user, n):
    return notify(
        user=user,
        type="SYSTEM_ANNOUNCEMENT",
        source_id=f"sync-{n}",
        context={
            "title": f"Announcement {n}",
            "message": "Something to know.",
            "announcement_id": 1,
        },
    )


def backdate(notification, when):
    """Move a change into the past, as an import would (on PostgreSQL past the trigger that
    stamps every change with the database's clock)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
        Notification.objects.filter(pk=notification.pk).update(updated_at=when)


def sync(api, after=None):
    response = api.get(URL, {"after": after} if after else {})
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.django_db
def test_the_first_sync_has_the_last_thirty_days_oldest_change_first(api, customer):
    backdate(NotificationFactory(user=customer.user), timezone.now() - timedelta(days=31))
    first, second = announce(customer.user, 1), announce(customer.user, 2)

    body = sync(api)

    assert [item["id"] for item in body["items"]] == [first.pk, second.pk]
    assert body["hasMore"] is False
    assert body["nextAfter"] == ChangeKey.of(Notification.objects.get(pk=second.pk)).encode()


@pytest.mark.django_db
def test_the_next_sync_has_only_what_changed_since(api, customer):
    first, second = announce(customer.user, 1), announce(customer.user, 2)
    after = sync(api)["nextAfter"]

    assert sync(api, after) == {"items": [], "nextAfter": after, "hasMore": False}

    mark_read(user=customer.user, notification_id=first.pk)
    third = announce(customer.user, 3)
    body = sync(api, after)

    assert [item["id"] for item in body["items"]] == [first.pk, third.pk]
    assert body["items"][0]["read"] is True
    assert second.pk not in [item["id"] for item in body["items"]]


@pytest.mark.django_db
def test_a_hundred_at_a_time_with_has_more(api, customer):
    for n in range(105):
        announce(customer.user, n)

    page = sync(api)
    assert len(page["items"]) == 100
    assert page["hasMore"] is True
    rest = sync(api, page["nextAfter"])
    assert len(rest["items"]) == 5
    assert rest["hasMore"] is False


@pytest.mark.django_db
def test_only_the_customers_own_changes(api, customer, other_customer):
    announce(other_customer.user, 1)
    assert sync(api)["items"] == []


@pytest.mark.django_db
@pytest.mark.parametrize("after", ["yesterday", "12-x", "-1", "1" * 30, "12"])
def test_an_after_that_was_never_given_out_is_a_400(api, after):
    response = api.get(URL, {"after": after})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert "after" in response.json()["error"]["fields"]


@pytest.mark.django_db
def test_no_login_is_a_401(anonymous_api):
    assert anonymous_api.get(URL).status_code == 401


@pytest.mark.django_db
def test_the_stream_without_asgi_sends_what_is_there_and_ends(api, customer):
    """Under WSGI (tests, a sync server) the stream answers like a short poll."""
    first = announce(customer.user, 1)
    start = ChangeKey.of(Notification.objects.get(pk=first.pk))
    second = announce(customer.user, 2)

    response = api.get("/api/notifications/stream", HTTP_LAST_EVENT_ID=start.encode())

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    body = b"".join(response.streaming_content).decode()
    assert body.startswith("retry: ")
    assert f'"id":{second.pk}' in body
    assert f'"id":{first.pk},' not in body
    assert "event: counts" in body


@pytest.mark.django_db
def test_a_bad_last_event_id_is_a_400(api):
    response = api.get("/api/notifications/stream", HTTP_LAST_EVENT_ID="nonsense")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


@pytest.mark.django_db
def test_the_stream_without_login_is_a_401(anonymous_api):
    response = anonymous_api.get("/api/notifications/stream")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_no_change_is_missed_under_concurrent_writes(api, customer):
    """Writers commit in any order while a device syncs; its copy ends up complete and current."""
    seed = [announce(customer.user, n) for n in range(20)]
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer(offset: int) -> None:
        try:
            n = 0
            while not stop.is_set() and n < 40:
                if n % 2:
                    mark_read(user=customer.user, notification_id=seed[(offset + n) % 20].pk)
                else:
                    announce(customer.user, 1000 * (offset + 1) + n)
                n += 1
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(offset,)) for offset in range(3)]
    copy: dict[int, dict] = {}
    after = None
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        body = sync(api, after)
        copy.update({item["id"]: item for item in body["items"]})
        after = body["nextAfter"]
    for thread in threads:
        thread.join()
    while True:
        body = sync(api, after)
        copy.update({item["id"]: item for item in body["items"]})
        after = body["nextAfter"]
        if not body["hasMore"]:
            break

    assert not errors
    truth = {n.pk: n.read_at is not None for n in Notification.objects.filter(user=customer.user)}
    assert {pk: item["read"] for pk, item in copy.items()} == truth
