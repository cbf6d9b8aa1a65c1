"""The inbox page: category tabs, the archived tab, bulk actions, snooze, the bell's menu and
the notification settings, each without JavaScript and with htmx."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from notifications import selectors
from notifications.models import Notification
from tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
ITEM_ID = re.compile(r'data-notification-id="(\d+)"')


def listed(response) -> list[int]:
    return [int(pk) for pk in ITEM_ID.findall(response.content.decode())]


@pytest.fixture
def invoice_reminder(customer):
    return NotificationFactory(user=customer.user, type="INVOICE_DUE", title="Invoice due")


@pytest.fixture
def announcement(customer):
    return NotificationFactory(user=customer.user, type="SYSTEM_ANNOUNCEMENT", title="Hello")


@pytest.mark.parametrize(
    "path",
    ["/account/settings/notifications"],
)
def test_the_settings_page_needs_a_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/login?next=")


@pytest.mark.parametrize(
    "path",
    [
        "/account/notifications/bell/open",
        "/account/notifications/bulk",
        "/account/notifications/1/archive",
        "/account/notifications/1/unarchive",
        "/account/notifications/1/snooze",
        "/account/settings/notifications",
    ],
)
def test_the_new_actions_need_a_login(client, path):
    response = client.post(path)
    assert response.status_code == 302 and response["Location"].startswith("/login?next=")


def test_the_tabs_show_one_category(browser_client, invoice_reminder, announcement):
    everything = browser_client.get("/account/notifications")
    assert sorted(listed(everything)) == sorted([invoice_reminder.pk, announcement.pk])
    billing = browser_client.get("/account/notifications?tab=billing")
    assert listed(billing) == [invoice_reminder.pk]
    body = billing.content.decode()
    assert '<a href="/account/notifications?tab=billing" aria-current="page">Billing</a>' in body
    # An unknown tab is the whole inbox, not an error page.
    assert len(listed(browser_client.get("/account/notifications?tab=weather"))) == 2


def test_opening_the_page_marks_everything_seen_and_still_shows_what_was_new(
    browser_client, customer, announcement
):
    response = browser_client.get("/account/notifications")
    assert ">New</span>" in response.content.decode()
    assert selectors.count_unseen_notifications(user=customer.user, now=timezone.now()) == 0
    assert selectors.count_unread_notifications(user=customer.user, now=timezone.now()) == 1
    assert ">New</span>" not in browser_client.get("/account/notifications").content.decode()


def test_archive_then_find_it_in_the_archived_tab_and_move_it_back(browser_client, announcement):
    response = browser_client.post(
        f"/account/notifications/{announcement.pk}/archive",
        {"next": "/account/notifications"},
        follow=True,
    )
    assert "Notification archived." in response.content.decode()
    assert listed(response) == []
    archived = browser_client.get("/account/notifications?tab=archived")
    assert listed(archived) == [announcement.pk]
    assert "Move to inbox" in archived.content.decode()
    back = browser_client.post(
        f"/account/notifications/{announcement.pk}/unarchive",
        {"next": "/account/notifications?tab=archived"},
        follow=True,
    )
    assert "Notification moved back to the inbox." in back.content.decode()
    assert listed(browser_client.get("/account/notifications")) == [announcement.pk]


def test_archive_with_htmx_removes_the_item(browser_client, announcement):
    response = browser_client.post(f"/account/notifications/{announcement.pk}/archive", **HTMX)
    assert response.content == b""
    assert "notifications-changed" in json.loads(response["HX-Trigger"])


def test_snooze_without_javascript_hides_it_until_tomorrow_morning(browser_client, announcement):
    response = browser_client.post(
        f"/account/notifications/{announcement.pk}/snooze",
        {"choice": "tomorrow", "next": "/account/notifications"},
        follow=True,
    )
    assert "Snoozed until" in response.content.decode()
    assert listed(response) == []
    announcement.refresh_from_db()
    until = timezone.localtime(announcement.snoozed_until)
    assert (until.hour, until.minute) == (9, 0)
    assert until.date() == timezone.localdate() + timedelta(days=1)


def test_the_snooze_message_ends_with_one_full_stop(browser_client, announcement):
    response = browser_client.post(
        f"/account/notifications/{announcement.pk}/snooze",
        {"choice": "tomorrow", "next": "/account/notifications"},
        follow=True,
    )
    page = response.content.decode()
    assert re.search(r"Snoozed until [^<]*, 9 a\.m\.<", page), "the message is not shown"
    assert "a.m.." not in page


def test_the_snooze_message_in_japanese(browser_client, customer, announcement):
    customer.language = "ja"
    customer.save()
    response = browser_client.post(
        f"/account/notifications/{announcement.pk}/snooze",
        {"choice": "tomorrow", "next": "/account/notifications"},
        follow=True,
    )
    assert re.search(
        r"\d{4}年\d{1,2}月\d{1,2}日 9:00 にあらためてお知らせします。", response.content.decode()
    )


def test_a_bad_snooze_choice_says_so(browser_client, announcement):
    response = browser_client.post(
        f"/account/notifications/{announcement.pk}/snooze", {"choice": "never"}, follow=True
    )
    assert "Choose when to be reminded." in response.content.decode()
    announcement.refresh_from_db()
    assert announcement.snoozed_until is None
    htmx = browser_client.post(
        f"/account/notifications/{announcement.pk}/snooze", {"choice": "never"}, **HTMX
    )
    assert htmx.status_code == 400


def test_bulk_without_javascript(browser_client, customer, other_customer):
    mine = [NotificationFactory(user=customer.user) for _ in range(3)]
    theirs = NotificationFactory(user=other_customer.user)
    response = browser_client.post(
        "/account/notifications/bulk",
        {"ids": [mine[0].pk, mine[1].pk, theirs.pk], "action": "archive"},
        follow=True,
    )
    assert "Archived 2 notifications." in response.content.decode()
    assert listed(response) == [mine[2].pk]
    theirs.refresh_from_db()
    assert theirs.archived_at is None
    read = browser_client.post(
        "/account/notifications/bulk", {"ids": [mine[2].pk], "action": "read"}, follow=True
    )
    assert "Marked 1 notification as read." in read.content.decode()
    nothing = browser_client.post("/account/notifications/bulk", {"action": "read"}, follow=True)
    assert "Tick the notifications first." in nothing.content.decode()


def test_bulk_with_htmx_swaps_the_list(browser_client, customer):
    mine = [NotificationFactory(user=customer.user) for _ in range(2)]
    response = browser_client.post(
        "/account/notifications/bulk?tab=announcements",
        {"ids": [mine[0].pk], "action": "archive"},
        **HTMX,
    )
    assert response.content.decode().startswith('<div id="notification-list"')
    assert listed(response) == [mine[1].pk]
    assert "notifications-changed" in json.loads(response["HX-Trigger"])


def test_every_item_has_a_checkbox_for_the_bulk_form(browser_client, announcement):
    body = browser_client.get("/account/notifications").content.decode()
    assert f'name="ids" value="{announcement.pk}" form="bulk-form"' in body
    assert 'id="bulk-form"' in body


@pytest.mark.parametrize("action", ["archive", "unarchive", "snooze"])
def test_another_customers_notification_is_404(client, other_customer, announcement, action):
    client.force_login(other_customer.user)
    response = client.post(
        f"/account/notifications/{announcement.pk}/{action}", {"choice": "tomorrow"}
    )
    assert response.status_code == 404
    announcement.refresh_from_db()
    assert announcement.archived_at is None and announcement.snoozed_until is None


# --- The bell -------------------------------------------------------------------------------


def test_the_bell_counts_unseen_and_opening_it_marks_them_seen(browser_client, customer):
    NotificationFactory(user=customer.user, title="First")
    NotificationFactory(user=customer.user, title="Second")
    page = browser_client.get("/account/").content.decode()
    assert '<details class="bell-menu" id="bell-menu">' in page
    assert "Notifications: 2 new" in page
    menu = browser_client.post("/account/notifications/bell/open", **HTMX)
    assert menu.status_code == 200
    assert "First" in menu.content.decode() and "Second" in menu.content.decode()
    assert "notifications-seen" in json.loads(menu["HX-Trigger"])
    bell = browser_client.get("/account/notifications/bell?seen=2", **HTMX)
    assert "nothing new" in bell.content.decode()
    # Seen, not read.
    assert selectors.count_unread_notifications(user=customer.user, now=timezone.now()) == 2


def test_the_bell_without_javascript_opens_the_page(browser_client, customer):
    NotificationFactory(user=customer.user)
    response = browser_client.post("/account/notifications/bell/open")
    assert response.status_code == 302 and response["Location"] == "/account/notifications"
    assert selectors.count_unseen_notifications(user=customer.user, now=timezone.now()) == 0


# --- Settings -------------------------------------------------------------------------------


def test_the_settings_page_shows_the_defaults(browser_client):
    body = browser_client.get("/account/settings/notifications").content.decode()
    assert 'name="billing-email" id="pref-billing-email" checked' in body
    assert 'name="announcements-email" id="pref-announcements-email" aria-label' in body


def test_saving_the_settings_form(browser_client, customer):
    response = browser_client.post(
        "/account/settings/notifications",
        {
            "billing-in_app": "on",
            "orders-in_app": "on",
            "orders-email": "on",
            "services-in_app": "on",
            "account-in_app": "on",
            "account-email": "on",
            "announcements-email": "on",
            "next": "https://evil.example/",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/account/settings/notifications"
    preferences = selectors.get_notification_preferences(user=customer.user)
    # The form sends every box: push, left unticked here, is off.
    assert preferences["billing"] == {"in_app": True, "email": False, "push": False}
    assert preferences["announcements"] == {"in_app": False, "email": True, "push": False}
    assert preferences["services"] == {"in_app": True, "email": False, "push": False}


def test_the_list_page_costs_the_same_with_many_notifications(browser_client, customer):
    def count_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert browser_client.get("/account/notifications").status_code == 200
        return len(queries)

    NotificationFactory(user=customer.user)
    few = count_queries()
    Notification.objects.bulk_create(
        NotificationFactory.build(user=customer.user, source_id=f"many-{index}")
        for index in range(300)
    )
    assert count_queries() == few
