"""The notification settings page with the customer's phones: push per category, each phone
with its forget button; scanned by axe-core, and used without JavaScript."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from accounts.models import User
from notifications.devices import register_device
from notifications.models import Device
from tests.browser.conftest import log_in, screenshot
from tests.browser.test_accessibility import check


def _phone(email: str) -> Device:
    device, _created = register_device(
        user=User.objects.get(email=email),
        platform="ios",
        token="browser-phone",
        app_version="2.4.0",
    )
    return device


def test_the_settings_page_with_a_phone_passes_an_accessibility_scan(page):
    _phone("overdue@demo.example")
    log_in(page, "overdue@demo.example")
    page.goto("/account/settings/notifications")
    expect(page.get_by_role("heading", name="Phones that get notifications")).to_be_visible()
    check(page, "notification-settings-with-a-phone")


def test_push_and_forgetting_a_phone_work_without_javascript(page_without_javascript):
    page = page_without_javascript
    _phone("overdue@demo.example")
    log_in(page, "overdue@demo.example")
    page.goto("/account/settings/notifications")
    page.get_by_label("Billing: on your phone").uncheck()
    page.get_by_role("button", name="Save notification settings").click()
    expect(page.get_by_text("Your notification settings are saved.")).to_be_visible()
    expect(page.get_by_label("Billing: on your phone")).not_to_be_checked()
    expect(page.get_by_label("Orders: on your phone")).to_be_checked()

    page.get_by_role("button", name=re.compile("^Forget")).click()
    expect(
        page.get_by_text("The phone is forgotten: it gets no more notifications.")
    ).to_be_visible()
    expect(page.get_by_text(re.compile("^No phone yet"))).to_be_visible()
    screenshot(page, "notification-settings-phone-forgotten")
    assert not Device.objects.exists()
