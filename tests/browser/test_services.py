from __future__ import annotations

import re

from playwright.sync_api import expect

from notifications.models import Notification
from subscriptions.models import Subscription
from tests.browser.conftest import log_in, main_nav, screenshot

EMAIL = "overdue@demo.example"


def test_the_overdue_customer_cancels_their_sim_in_the_browser(page):
    log_in(page, EMAIL)
    main_nav(page).get_by_role("link", name="Services").click()
    screenshot(page, "services")
    page.get_by_role("link", name="SIM Data 20GB", exact=True).click()
    page.get_by_role("link", name="Cancel this service").click()

    dates = page.get_by_role("group", name="Last day of service")
    last_day_label = dates.locator("label").first.inner_text().strip()
    dates.get_by_role("radio").first.check()
    page.get_by_role("radio", name="I am leaving Japan").check()
    screenshot(page, "cancel-choose")
    page.get_by_role("button", name="Review the cancellation").click()

    expect(page.get_by_role("heading", name="Review your cancellation")).to_be_visible()
    # A data-only SIM: no phone number to release, no number transfer to offer.
    expect(page.get_by_text("the SIM stops working")).to_contain_text("its data plan ends")
    expect(page.locator("main")).not_to_contain_text("MNP")
    expect(page.locator("main")).not_to_contain_text("080-1234-0002")
    # The box is required: without it the browser does not send the form.
    page.get_by_role("button", name="Cancel my service").click()
    expect(page.get_by_role("heading", name="Review your cancellation")).to_be_visible()
    screenshot(page, "cancel-review")

    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Cancel my service").click()
    page.wait_for_url(re.compile(r"/account/services/\d+$"))
    expect(page.get_by_role("heading", name="Cancellation scheduled")).to_be_visible()
    expect(page.locator("main")).to_contain_text(last_day_label)
    screenshot(page, "service-cancellation-scheduled")

    sim = Subscription.objects.get(customer__user__email=EMAIL, plan__kind="sim")
    assert sim.status == "cancellation_scheduled"
    notification = Notification.objects.get(user__email=EMAIL, type="CANCELLATION_SCHEDULED")
    assert notification.action_url == f"/account/services/{sim.pk}"
