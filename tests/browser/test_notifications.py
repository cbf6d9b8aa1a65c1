from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from notifications.models import Notification
from tests.browser.conftest import expect_bell, log_in, main_nav, screenshot
from tests.factories import NotificationFactory

EMAIL = "overdue@demo.example"


def _announcements(count: int) -> list[Notification]:
    """Older unread announcements for the overdue persona, newest first."""
    user = User.objects.get(email=EMAIL)
    now = timezone.now()
    return [
        NotificationFactory(
            user=user,
            title=f"Announcement {number}",
            created_at=now - timedelta(hours=number),
        )
        for number in range(1, count + 1)
    ]


def test_reading_on_the_dashboard_updates_the_bell_and_the_card_in_place(page):
    _announcements(2)
    log_in(page, EMAIL)
    # Two announcements and the invoice reminder the dashboard visit created.
    expect_bell(page, "Notifications: 3 new")
    card = page.get_by_role("region", name="Notifications")
    expect(card.get_by_text("3 unread")).to_be_visible()
    page.evaluate("window.notReloaded = true")
    screenshot(page, "dashboard-notifications")

    card.get_by_role("button", name=re.compile("^Mark as read")).first.click()
    expect_bell(page, "Notifications: 2 new")
    expect(card.get_by_text("2 unread")).to_be_visible()
    expect(page.locator("#unread-notifications-stat")).to_have_text("2")

    card.get_by_role("button", name=re.compile("^Archive")).first.click()
    expect_bell(page, "Notifications: 1 new")
    expect(card.locator("li.notification")).to_have_count(1)

    card.get_by_role("button", name="Mark all as read").click()
    expect_bell(page, "Notifications: nothing new")
    expect(card.get_by_text("You have read everything.")).to_be_visible()
    expect(page.locator("#unread-notifications-stat")).to_have_text("0")
    # All of it happened in place: the page was never reloaded.
    assert page.evaluate("window.notReloaded") is True
    unread = Notification.objects.filter(user__email=EMAIL, read_at=None, archived_at=None)
    assert not unread.exists()


def test_the_notifications_page_reads_archives_and_loads_more_in_place(page):
    _announcements(22)
    log_in(page, EMAIL)
    main_nav(page).get_by_role("link", name="Notifications").click()
    page.evaluate("window.notReloaded = true")
    items = page.locator("li.notification")
    expect(items).to_have_count(20)
    # Opening the inbox is opening the bell: everything in it is seen.
    expect_bell(page, "Notifications: nothing new")
    expect(page.locator("li.notification--unread")).to_have_count(20)
    screenshot(page, "notifications")

    first = items.first
    first.get_by_role("button", name=re.compile("^Mark as read")).click()
    expect(page.locator("li.notification--unread")).to_have_count(19)
    expect(first).not_to_have_class(re.compile("notification--unread"))
    # The read item took the focus, so a keyboard user carries on from where they were.
    expect(first).to_be_focused()

    title = items.nth(1).locator(".notification__title").inner_text()
    items.nth(1).get_by_role("button", name=re.compile("^Archive")).click()
    page.get_by_text(title, exact=True).wait_for(state="detached")
    expect(page.locator("li.notification--unread")).to_have_count(18)

    page.get_by_role("link", name="Load more").click()
    expect(items).to_have_count(22)
    expect(page.get_by_role("link", name="Load more")).to_have_count(0)
    assert page.evaluate("window.notReloaded") is True


def test_without_javascript_every_notification_action_still_works(page_without_javascript):
    page = page_without_javascript
    _announcements(3)
    log_in(page, EMAIL)
    expect_bell(page, "Notifications: 4 new")
    card = page.get_by_role("region", name="Notifications")

    card.get_by_role("button", name=re.compile("^Mark as read")).first.click()
    page.wait_for_url(re.compile(r"/account/$"))
    expect_bell(page, "Notifications: 3 new")

    page.goto("/account/notifications")
    expect_bell(page, "Notifications: nothing new")
    unread = page.locator("li.notification--unread").first
    unread.get_by_role("button", name=re.compile("^Archive")).click()
    page.wait_for_url(re.compile(r"/account/notifications$"))
    expect(page.get_by_text("Notification archived.")).to_be_visible()
    expect(page.locator("li.notification--unread")).to_have_count(2)

    page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_text("Marked 2 notifications as read.")).to_be_visible()
    expect(page.locator("li.notification--unread")).to_have_count(0)
    screenshot(page, "notifications-without-javascript")
