"""Support staff in the admin, in a real browser: the queues, a customer, a button, an announcement."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from notifications.models import Announcement, AnnouncementStatus
from orders.models import Order, OrderStatus
from staff.models import StaffAction
from tests.browser.conftest import DEMO_PASSWORD, _open_page, screenshot


@pytest.fixture
def desk(chromium, live_server, demo):  # type: ignore[no-untyped-def]
    context, page = _open_page(chromium, live_server.url, "desktop")
    page.goto("/admin/login/")
    page.fill("#id_username", "support@demo.example")
    page.fill("#id_password", DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    yield page
    context.close()


def test_support_finds_the_work_and_approves_an_order_from_the_queue(desk):
    queue = desk.locator("#queue-orders")
    expect(queue).to_contain_text("Orders to review (1)")
    screenshot(desk, "admin-home")
    queue.get_by_role("link").nth(1).click()
    desk.get_by_role("button", name="Approve order").click()
    expect(desk.locator(".messagelist")).to_contain_text("approved")
    order = Order.objects.get(customer__user__email="ordering@demo.example", kind="sim")
    assert order.status != OrderStatus.PENDING_REVIEW
    assert StaffAction.objects.filter(action="order_approved").count() == 1

    desk.goto("/admin/")
    desk.get_by_label("Find a customer").fill("ordering@demo.example")
    desk.get_by_role("button", name="Search").click()
    desk.get_by_role("link", name="Alex Kim").click()
    expect(desk.locator("#snapshot")).to_contain_text("Dashboard, as the customer sees it")
    expect(desk.locator("#staff-actions")).to_contain_text("Order approved")
    screenshot(desk, "admin-customer")


def test_support_previews_and_confirms_an_announcement(desk):
    desk.goto("/admin/notifications/announcement/add/")
    desk.fill("#id_title", "Maintenance on Sunday")
    desk.fill("#id_message", "The portal is down from 1:00 to 3:00.")
    desk.fill("#id_title_ja", "日曜日のメンテナンス")
    desk.fill("#id_message_ja", "1:00から3:00までご利用いただけません。")
    desk.get_by_role("button", name="Save and continue editing").click()
    desk.get_by_role("link", name="Preview and send…").click()
    expect(desk.locator("#preview")).to_contain_text("日曜日のメンテナンス")
    expect(desk.locator("#recipient-count")).to_have_text("4")
    screenshot(desk, "admin-announcement-preview")
    desk.get_by_role("button", name="Send now to 4 customers").click()
    expect(desk.locator(".messagelist")).to_contain_text("is being sent to 4 customers")
    assert Announcement.objects.get().status in (AnnouncementStatus.QUEUED, AnnouncementStatus.SENT)
