"""The inbox in a real browser: the bell's menu by keyboard, tabs, bulk, snooze and archive in
place, the settings, without JavaScript too, and an accessibility scan of each."""

from __future__ import annotations

import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from accounts.models import User
from notifications.models import Notification
from tests.browser.conftest import expect_bell, log_in, screenshot
from tests.factories import NotificationFactory

EMAIL = "overdue@demo.example"
axe = Axe()


def no_serious_issue(page, name: str) -> None:  # type: ignore[no-untyped-def]
    screenshot(page, name)
    results = axe.run(page)
    serious = [
        f"{violation['id']} ({violation['impact']}): "
        + ", ".join(str(node["target"]) for node in violation["nodes"])
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert not serious, f"{name}: {serious}"


def _announcements(count: int) -> None:
    user = User.objects.get(email=EMAIL)
    for number in range(count):
        NotificationFactory(user=user, title=f"Announcement {number}")


def test_the_bell_opens_by_keyboard_marks_seen_and_closes_with_escape(page):
    _announcements(2)
    log_in(page, EMAIL)
    expect_bell(page, "Notifications: 3 new")
    toggle = page.locator("#bell-menu summary")
    toggle.focus()
    page.keyboard.press("Enter")
    panel = page.locator("#bell-panel")
    expect(panel.get_by_text("Latest notifications")).to_be_visible()
    expect(panel.locator(".bell-menu__item")).to_have_count(3)
    expect_bell(page, "Notifications: nothing new")
    no_serious_issue(page, "bell-open")
    page.keyboard.press("Tab")
    expect(panel.locator("a").first).to_be_focused()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(toggle).to_be_focused()
    # Seen, not read.
    assert Notification.objects.filter(user__email=EMAIL, read_at=None).count() == 3


def test_tabs_bulk_snooze_and_the_archive_in_place(page):
    _announcements(3)
    log_in(page, EMAIL)
    page.goto("/account/notifications")
    page.evaluate("window.notReloaded = true")
    items = page.locator("li.notification")
    expect(items).to_have_count(4)
    no_serious_issue(page, "inbox")

    tabs = page.get_by_role("navigation", name="Categories")
    tabs.get_by_role("link", name="Billing").click()
    expect(items).to_have_count(1)
    expect(tabs.get_by_role("link", name="Billing")).to_have_attribute("aria-current", "page")
    tabs.get_by_role("link", name="Announcements").click()
    expect(items).to_have_count(3)
    page.evaluate("window.notReloaded = true")

    page.get_by_label("Tick all").check()
    page.get_by_role("button", name="Archive", exact=True).click()
    expect(page.get_by_text("Nothing archived.")).to_have_count(0)
    expect(items).to_have_count(0)
    assert page.evaluate("window.notReloaded") is True

    tabs.get_by_role("link", name="Archived").click()
    expect(items).to_have_count(3)
    no_serious_issue(page, "inbox-archived")
    items.first.get_by_role("button", name=re.compile("^Move to inbox")).click()
    expect(items).to_have_count(2)

    tabs.get_by_role("link", name="All").click()
    expect(items).to_have_count(2)
    item = items.first
    title = item.locator(".notification__title").inner_text()
    item.get_by_label(re.compile("^Remind me about")).select_option("next_week")
    item.get_by_role("button", name=re.compile("^Snooze")).click()
    expect(items).to_have_count(1)
    expect(page.get_by_text(title)).to_have_count(0)
    assert Notification.objects.filter(user__email=EMAIL, snoozed_until__isnull=False).count() == 1


def test_without_javascript_bulk_snooze_and_settings_work(page_without_javascript):
    page = page_without_javascript
    _announcements(2)
    log_in(page, EMAIL)
    page.goto("/account/notifications?tab=announcements")
    items = page.locator("li.notification")
    expect(items).to_have_count(2)
    items.first.get_by_role("checkbox").check()
    page.get_by_role("button", name="Mark as read", exact=True).click()
    expect(page.get_by_text("Marked 1 notification as read.")).to_be_visible()

    items.first.get_by_role("button", name=re.compile("^Snooze")).click()
    expect(page.get_by_text(re.compile("^Snoozed until"))).to_be_visible()
    expect(items).to_have_count(1)

    page.goto("/account/settings/notifications")
    page.get_by_label("Billing: by email").uncheck()
    page.get_by_label("Announcements: by email").check()
    page.get_by_role("button", name="Save notification settings").click()
    expect(page.get_by_text("Your notification settings are saved.")).to_be_visible()
    expect(page.get_by_label("Billing: by email")).not_to_be_checked()
    expect(page.get_by_label("Announcements: by email")).to_be_checked()
    # axe-core needs JavaScript: the settings page is scanned in test_accessibility.
    screenshot(page, "notification-settings-no-javascript")

    # The bell without JavaScript: opening its menu offers the page.
    page.locator("#bell-menu summary").click()
    page.get_by_role("button", name="Open notifications").click()
    page.wait_for_url(re.compile(r"/account/notifications$"))
