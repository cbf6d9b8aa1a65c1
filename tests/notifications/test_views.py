from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from tests.factories import NotificationFactory
from tests.notifications.test_selectors import make

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
ITEM_ID = re.compile(r'data-notification-id="(\d+)"')


@pytest.fixture
def notification(customer):
    return NotificationFactory(user=customer.user, title="Your order is active")


def listed(response) -> list[int]:
    return [int(pk) for pk in ITEM_ID.findall(response.content.decode())]


# --- The list -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/account/notifications", "/account/notifications/bell"],
)
def test_pages_need_a_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login?next=/account/notifications")


@pytest.mark.parametrize(
    "path",
    [
        "/account/notifications/read-all",
        "/account/notifications/1/read",
        "/account/notifications/1/dismiss",
    ],
)
def test_actions_need_a_login(client, path):
    response = client.post(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login?next=")


def test_an_expired_session_never_swaps_the_login_page_into_the_bell(client):
    response = client.get("/account/notifications/bell?seen=2", **HTMX)
    assert response.status_code == 204


def test_an_expired_session_sends_an_htmx_action_to_the_login(client):
    response = client.post(
        "/account/notifications/1/read",
        HTTP_HX_CURRENT_URL="http://testserver/account/notifications?filter=unread",
        **HTMX,
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/login?next=/account/notifications%3Ffilter%3Dunread"


def test_the_page_lists_my_notifications_only(browser_client, notification, other_customer):
    theirs = NotificationFactory(user=other_customer.user, title="Someone else's")
    response = browser_client.get("/account/notifications")
    assert response.status_code == 200
    assert listed(response) == [notification.pk]
    assert "Someone else's" not in response.content.decode()
    assert theirs.pk not in listed(response)


def test_an_empty_list_says_so(browser_client):
    response = browser_client.get("/account/notifications")
    assert "No notifications yet." in response.content.decode()


def test_load_more_without_javascript_shows_the_next_page(browser_client, customer):
    make(customer.user, 25, start=timezone.now())
    first = browser_client.get("/account/notifications")
    assert len(listed(first)) == 20
    [href] = re.findall(
        r'<a class="button" href="(/account/notifications\?cursor=[^"]+)"', first.content.decode()
    )
    second = browser_client.get(href.replace("&amp;", "&"))
    assert second.status_code == 200
    assert "<html" in second.content.decode()
    assert len(listed(second)) == 5
    assert not set(listed(first)) & set(listed(second))
    assert "Back to the newest" in second.content.decode()


def test_load_more_with_htmx_answers_only_the_next_items(browser_client, customer):
    make(customer.user, 25, start=timezone.now())
    first = browser_client.get("/account/notifications")
    cursor = re.search(r"cursor=([^\"&]+)", first.content.decode()).group(1)
    more = browser_client.get(f"/account/notifications?cursor={cursor}", **HTMX)
    assert more.status_code == 200
    assert "<html" not in more.content.decode()
    assert len(listed(more)) == 5
    assert "HX-Request" in more["Vary"]


def test_a_broken_cursor_shows_the_newest_page(browser_client, notification):
    response = browser_client.get("/account/notifications?cursor=garbage")
    assert response.status_code == 200
    assert listed(response) == [notification.pk]


def test_the_unread_filter(browser_client, customer, notification):
    NotificationFactory(user=customer.user, read_at=timezone.now())
    response = browser_client.get("/account/notifications?filter=unread")
    assert listed(response) == [notification.pk]


# --- Actions without JavaScript -------------------------------------------------------------


def test_mark_read_posts_and_comes_back(browser_client, notification):
    response = browser_client.post(
        f"/account/notifications/{notification.pk}/read",
        {"next": "/account/notifications?filter=unread"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/account/notifications?filter=unread"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_actions_never_redirect_to_another_site(browser_client, notification):
    response = browser_client.post(
        f"/account/notifications/{notification.pk}/read", {"next": "https://evil.example/"}
    )
    assert response["Location"] == "/account/notifications"


def test_dismiss_posts_and_says_so(browser_client, notification):
    response = browser_client.post(f"/account/notifications/{notification.pk}/dismiss", follow=True)
    assert response.status_code == 200
    assert "Notification archived." in response.content.decode()
    assert listed(response) == []


def test_mark_all_read_posts_and_says_how_many(browser_client, customer):
    make(customer.user, 3, start=timezone.now())
    response = browser_client.post("/account/notifications/read-all", follow=True)
    assert "Marked 3 notifications as read." in response.content.decode()
    assert not Notification.objects.filter(user=customer.user, read_at__isnull=True).exists()


@pytest.mark.parametrize("action", ["read", "dismiss"])
def test_another_customers_notification_is_404(client, other_customer, notification, action):
    client.force_login(other_customer.user)
    response = client.post(f"/account/notifications/{notification.pk}/{action}")
    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None and notification.archived_at is None


@pytest.mark.parametrize(
    "path", ["/account/notifications/read-all", "/account/notifications/1/read"]
)
def test_actions_only_accept_post(browser_client, path):
    assert browser_client.get(path).status_code == 405


# --- Actions with htmx ----------------------------------------------------------------------


def test_mark_read_with_htmx_swaps_the_item_and_refreshes_the_bell(browser_client, notification):
    response = browser_client.post(f"/account/notifications/{notification.pk}/read", **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith("<li")
    assert "notification--unread" not in body
    assert "notifications-changed" in json.loads(response["HX-Trigger"])


def test_dismiss_with_htmx_removes_the_item(browser_client, notification):
    response = browser_client.post(f"/account/notifications/{notification.pk}/dismiss", **HTMX)
    assert response.status_code == 200
    assert response.content == b""
    assert "notifications-changed" in json.loads(response["HX-Trigger"])


def test_mark_all_read_with_htmx_swaps_the_list(browser_client, customer):
    make(customer.user, 2, start=timezone.now())
    response = browser_client.post("/account/notifications/read-all", **HTMX)
    body = response.content.decode()
    assert body.startswith('<div id="notification-list"')
    assert "notification--unread" not in body
    assert len(listed(response)) == 2
    assert "notifications-changed" in json.loads(response["HX-Trigger"])


# --- The bell -------------------------------------------------------------------------------


def test_every_account_page_has_the_bell_with_the_count(browser_client, customer):
    make(customer.user, 3, start=timezone.now())
    body = browser_client.get("/account/orders").content.decode()
    assert 'id="notification-bell"' in body
    assert '<span class="bell__count" aria-hidden="true">3</span>' in body
    assert "Notifications: 3 new" in body
    assert "notifications-changed from:body" in body


def test_a_big_count_is_shortened(browser_client, customer):
    make(customer.user, 120, start=timezone.now())
    body = browser_client.get("/account/orders").content.decode()
    assert '<span class="bell__count" aria-hidden="true">99+</span>' in body
    assert "Notifications: more than 99 new" in body


@pytest.mark.parametrize(
    ("unseen", "badge", "said"), [(99, "99", "99 new"), (100, "99+", "more than 99 new")]
)
def test_the_badge_counts_up_to_a_hundred(browser_client, customer, unseen, badge, said):
    make(customer.user, unseen, start=timezone.now())
    response = browser_client.get("/account/notifications/bell?seen=0", **HTMX)
    body = response.content.decode()
    assert f'<span class="bell__count" aria-hidden="true">{badge}</span>' in body
    assert f"Notifications: {said}" in body


def test_past_a_hundred_a_new_notification_leaves_the_bell_alone(browser_client, customer):
    make(customer.user, 150, start=timezone.now())
    first = browser_client.get("/account/notifications/bell?seen=0", **HTMX)
    assert "/account/notifications/bell?seen=100" in first.content.decode()
    make(customer.user, 1, start=timezone.now() - timedelta(hours=5))
    # Still "99+": nothing for htmx to swap, nothing new for a screen reader to say.
    assert browser_client.get("/account/notifications/bell?seen=100", **HTMX).status_code == 204


def test_the_bell_endpoint_answers_the_fresh_count(browser_client, customer):
    make(customer.user, 2, start=timezone.now())
    response = browser_client.get("/account/notifications/bell?seen=0", **HTMX)
    assert response.status_code == 200
    assert "2 new" in response.content.decode()
    assert "/account/notifications/bell?seen=2" in response.content.decode()


def test_the_bell_endpoint_answers_nothing_when_the_count_is_unchanged(browser_client, customer):
    make(customer.user, 2, start=timezone.now())
    response = browser_client.get("/account/notifications/bell?seen=2", **HTMX)
    assert response.status_code == 204


def test_the_bell_counts_only_my_notifications(browser_client, other_customer):
    make(other_customer.user, 4, start=timezone.now())
    response = browser_client.get("/account/notifications/bell?seen=9")
    assert "bell__count" not in response.content.decode()
