"""The dashboard's notifications card, and its htmx refresh."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
ITEM_ID = re.compile(r'data-notification-id="(\d+)"')


def _unread(user, count: int) -> list:  # type: ignore[no-untyped-def]
    now = timezone.now()
    return [
        NotificationFactory(user=user, title=f"News {n}", created_at=now - timedelta(minutes=n))
        for n in range(1, count + 1)
    ]


def test_the_dashboard_shows_the_newest_three_unread(browser_client, customer):
    newest = _unread(customer.user, 4)
    NotificationFactory(user=customer.user, read_at=timezone.now(), title="Already read")
    page = browser_client.get("/account/").content.decode()
    card = page[page.index('id="latest-notifications"') :]
    card = card[: card.index("</section>")]
    assert [int(pk) for pk in ITEM_ID.findall(card)] == [n.pk for n in newest[:3]]
    assert "4 unread" in card
    assert "Already read" not in card
    # Without JavaScript each action comes back to the dashboard.
    assert card.count('name="next" value="/account/"') == 3 * 2 + 1


def test_the_card_is_refreshed_with_the_unread_figure_out_of_band(browser_client, customer):
    _unread(customer.user, 2)
    response = browser_client.get("/account/notifications/latest", **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="latest-notifications"' in body
    assert '<span id="unread-notifications-stat" hx-swap-oob="true">2</span>' in body
    assert "Vary" in response and "HX-Request" in response["Vary"]


def test_the_card_says_when_everything_is_read(browser_client):
    body = browser_client.get("/account/notifications/latest", **HTMX).content.decode()
    assert "You have read everything." in body
    assert "Mark all as read" not in body


def test_the_card_shows_only_my_notifications(browser_client, customer, other_customer):
    mine = NotificationFactory(user=customer.user)
    theirs = NotificationFactory(user=other_customer.user, title="Someone else's news")
    body = browser_client.get("/account/notifications/latest", **HTMX).content.decode()
    assert [int(pk) for pk in ITEM_ID.findall(body)] == [mine.pk]
    assert theirs.title not in body


def test_the_card_is_a_partial_so_a_plain_visit_goes_to_the_dashboard(browser_client):
    response = browser_client.get("/account/notifications/latest")
    assert response.status_code == 302
    assert response["Location"] == "/account/"


def test_the_card_needs_a_login(client):
    assert client.get("/account/notifications/latest", **HTMX).status_code == 204
    response = client.get("/account/notifications/latest")
    assert response.status_code == 302
    assert response["Location"].startswith("/login?next=/account/notifications/latest")


def test_refreshing_the_card_lists_and_counts_once(
    browser_client, customer, django_assert_max_num_queries
):
    _unread(customer.user, 3)
    # Session, user, the card's query, its count and nothing else.
    with django_assert_max_num_queries(4):
        browser_client.get("/account/notifications/latest", **HTMX)
