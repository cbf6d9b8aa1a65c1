"""GET /api/notifications/stream against the web process as deployed (gunicorn, uvicorn workers).

The notifications are written by this test process, a process other than the server's, so
every event here crossed processes through PostgreSQL, as in production.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import requests
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.services import change_password
from accounts.tokens import issue_tokens
from notifications.models import Notification
from notifications.services.inbox import mark_read
from notifications.services.notify import notify
from tests.factories import PASSWORD
from tests.notifications.sse import SSEReader
from tests.reliability.processes import asgi_server

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def announce(user, n: int):
    return notify(
        user=user,
        type="SYSTEM_ANNOUNCEMENT",
        source_id=f"live-{n}",
        context={
            "title": f"Announcement {n}",
            "message": "Something to know.",
            "announcement_id": 1,
        },
    )


def bearer(user, **lifetime) -> dict[str, str]:
    token = RefreshToken.for_user(user).access_token
    if lifetime:
        token.set_exp(lifetime=timedelta(**lifetime))
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def server(tmp_path_factory, django_db_setup, django_db_blocker):
    with (
        django_db_blocker.unblock(),
        asgi_server(tmp_path_factory.mktemp("live"), LIVE_KEEPALIVE_SECONDS="1") as base_url,
    ):
        yield base_url


@pytest.fixture
def open_stream(server):
    readers: list[SSEReader] = []

    def open_(headers=None, cookies=None) -> SSEReader:
        reader = SSEReader(
            f"{server}/api/notifications/stream", headers=headers or {}, cookies=cookies or {}
        )
        readers.append(reader)
        return reader

    yield open_
    for reader in readers:
        reader.close()


def test_a_commit_in_another_process_reaches_the_stream_within_two_seconds(open_stream, customer):
    stream = open_stream(bearer(customer.user))
    assert stream.status == 200
    assert stream.content_type.startswith("text/event-stream")
    first = stream.next_of("counts")
    assert first.data == {"count": 0, "unseenCount": 0}
    # The first event of a fresh process loads the catalog and the translations: warm it.
    announce(customer.user, 0)
    stream.next_of("counts", timeout=10)

    committed = time.monotonic()
    notification = announce(customer.user, 1)

    event = stream.next_of("notification", timeout=5)
    assert event.received_at - committed < 2
    assert event.data["id"] == notification.pk
    assert event.data["title"] == "Announcement 1"
    counts = stream.next_of("counts", timeout=5)
    assert counts.data == {"count": 2, "unseenCount": 2}
    assert counts.received_at - committed < 2


def test_a_change_of_state_is_an_event_too(open_stream, customer):
    notification = announce(customer.user, 1)
    stream = open_stream(bearer(customer.user))
    assert stream.next_of("counts").data["count"] == 1

    mark_read(user=customer.user, notification_id=notification.pk)

    event = stream.next_of("notification", timeout=5)
    assert event.data["id"] == notification.pk
    assert event.data["read"] is True
    assert stream.next_of("counts", timeout=5).data["count"] == 0


def test_last_event_id_resumes_without_loss(open_stream, customer):
    stream = open_stream(bearer(customer.user))
    resume_from = stream.next_of("counts").id
    stream.close()

    missed = [announce(customer.user, n) for n in range(3)]
    resumed = open_stream({**bearer(customer.user), "Last-Event-ID": resume_from})

    received = [resumed.next_of("notification").data["id"] for _ in missed]
    assert received == [notification.pk for notification in missed]
    assert resumed.next_of("counts").data["count"] == 3

    # And it goes on live after the replay.
    later = announce(customer.user, 9)
    assert resumed.next_of("notification", timeout=5).data["id"] == later.pk


def test_a_comment_keeps_a_quiet_stream_open(open_stream, customer):
    stream = open_stream(bearer(customer.user))
    stream.next_of("counts")
    comment = stream.next(timeout=5, skip_comments=False)
    assert comment.event == "comment"
    assert comment.data == "keep-alive"


def test_another_customers_notifications_never_reach_the_stream(
    open_stream, customer, other_customer
):
    stream = open_stream(bearer(customer.user))
    stream.next_of("counts")
    announce(other_customer.user, 1)
    mine = announce(customer.user, 2)

    event = stream.next_of("notification", timeout=5)
    assert event.data["id"] == mine.pk


def test_the_stream_ends_when_the_token_expires(open_stream, customer):
    stream = open_stream(bearer(customer.user, seconds=2))
    stream.next_of("counts")
    assert stream.ended.wait(6)


def test_the_stream_ends_on_logout(open_stream, server, client, customer):
    client.force_login(customer.user)
    session_key = client.cookies["sessionid"].value
    stream = open_stream(cookies={"sessionid": session_key})
    stream.next_of("counts")

    # Logging out in another tab (the session is gone): the stream ends at its next check.
    client.logout()

    assert stream.ended.wait(5)


def _app_login(user) -> tuple[RefreshToken, dict[str, str]]:
    """A login as the apps get one: a refresh token and the Bearer header of its access token."""
    refresh = issue_tokens(user=user)
    return refresh, {"Authorization": f"Bearer {refresh.access_token}"}


def test_a_bearer_stream_ends_when_its_login_logs_out(open_stream, server, customer):
    refresh, headers = _app_login(customer.user)
    stream = open_stream(headers)
    stream.next_of("counts")

    response = requests.post(
        f"{server}/api/auth/logout", json={"refresh": str(refresh)}, timeout=10
    )

    assert response.status_code == 204
    assert stream.ended.wait(5)  # the keep-alive is 1 second here, 25 in production


def test_a_bearer_stream_ends_when_a_refresh_token_of_its_login_is_used_twice(
    open_stream, server, customer
):
    refresh, headers = _app_login(customer.user)
    stream = open_stream(headers)
    stream.next_of("counts")
    for expected in (200, 401):
        response = requests.post(
            f"{server}/api/auth/token/refresh", json={"refresh": str(refresh)}, timeout=10
        )
        assert response.status_code == expected

    assert stream.ended.wait(5)


def test_a_bearer_stream_ends_when_the_password_changes(open_stream, customer):
    _refresh, headers = _app_login(customer.user)
    stream = open_stream(headers)
    stream.next_of("counts")

    # Changed on another device (here: this process, whose test password hasher the server
    # does not have).
    change_password(
        user=customer.user,
        current_password=PASSWORD,
        new_password="a-long-new-passphrase-42",
        request=None,
    )

    assert stream.ended.wait(5)


def test_a_bearer_stream_of_another_login_stays_open(open_stream, server, customer):
    _refresh, headers = _app_login(customer.user)
    stream = open_stream(headers)
    stream.next_of("counts")
    other_refresh, _other_device = _app_login(customer.user)

    requests.post(f"{server}/api/auth/logout", json={"refresh": str(other_refresh)}, timeout=10)

    assert not stream.ended.wait(3)
    notification = announce(customer.user, 1)
    assert stream.next_of("notification").data["id"] == notification.pk


def test_an_expired_token_is_refused(server, customer):
    token = AccessToken.for_user(customer.user)
    token.set_exp(lifetime=timedelta(seconds=-1))
    response = requests.get(
        f"{server}/api/notifications/stream",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_a_bulk_update_reaches_the_stream_for_every_row(open_stream, customer):
    """The feed carries states, not a log: two changes read at once arrive as the newer one."""
    stream = open_stream(bearer(customer.user))
    stream.next_of("counts")
    notifications = [announce(customer.user, n) for n in range(20)]
    Notification.objects.filter(user=customer.user).update(read_at=notifications[0].created_at)

    latest: dict[int, bool] = {}
    first_seen: list[int] = []
    while len(latest) < 20 or not all(latest.values()):
        try:
            event = stream.next_of("notification", timeout=10)
        except AssertionError:
            pytest.fail(f"stuck at {latest}")
        if event.data["id"] not in latest:
            first_seen.append(event.data["id"])
        latest[event.data["id"]] = event.data["read"]

    assert first_seen == [n.pk for n in notifications]
    assert stream.next_of("counts", timeout=5).data["count"] == 0


def test_without_listen_the_stream_polls_and_still_delivers(tmp_path, customer):
    """Behind a transaction pooler (LIVE_LISTEN=false) or on SQLite the hub reads every second."""
    with asgi_server(tmp_path, application_name="live-poll", LIVE_LISTEN="false") as base_url:
        stream = SSEReader(f"{base_url}/api/notifications/stream", headers=bearer(customer.user))
        try:
            stream.next_of("counts")
            committed = time.monotonic()
            notification = announce(customer.user, 1)
            event = stream.next_of("notification", timeout=5)
            assert event.data["id"] == notification.pk
            assert event.received_at - committed < 2
        finally:
            stream.close()
