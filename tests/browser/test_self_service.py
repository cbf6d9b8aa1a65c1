"""Self-service in the browser, one flow per test, at both sizes: pay, download, order with a
review, cancel a pending order, withdraw a scheduled cancellation, ask support.

The forms flows run with JavaScript switched off too: every one of them is a plain form.
"""

from __future__ import annotations

import re

from django.utils import timezone
from playwright.sync_api import expect

from orders.models import Order
from subscriptions.models import Subscription
from subscriptions.services import offered_effective_dates, request_cancellation
from support.models import SupportRequest
from tests.browser.conftest import log_in, main_nav, screenshot

OVERDUE = "overdue@demo.example"


def _open_overdue_invoice(page) -> None:  # type: ignore[no-untyped-def]
    log_in(page, OVERDUE)
    page.goto("/account/billing/invoices")
    page.locator("tbody tr.invoice-row--overdue").first.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/account/billing/invoices/\d+$"))


def test_the_overdue_customer_pays_the_late_invoice(page):
    _open_overdue_invoice(page)
    page.get_by_role("link", name="Pay now").click()
    expect(page.get_by_role("heading", name="Confirm your payment")).to_be_visible()
    expect(page.get_by_test_id("pay-amount")).to_have_text("¥7,458")
    expect(page.get_by_role("radio", name=re.compile("Visa •••• 4242"))).to_be_checked()
    screenshot(page, "invoice-pay")
    page.get_by_role("button", name="Pay ¥7,458").click()
    page.wait_for_url(re.compile(r"/account/billing/invoices/\d+$"))
    expect(page.locator(".flash")).to_contain_text("We received ¥7,458")
    expect(page.get_by_role("link", name="Download receipt (PDF)")).to_be_visible()
    expect(page.get_by_role("link", name="Pay now")).to_have_count(0)
    screenshot(page, "invoice-paid")


def test_the_customer_downloads_the_invoice_pdf(page):
    _open_overdue_invoice(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download invoice (PDF)").click()
    path = download.value.path()
    assert download.value.suggested_filename.endswith(".pdf")
    with open(path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"


def test_a_sim_order_is_reviewed_then_placed_without_javascript(page_without_javascript):
    page = page_without_javascript
    log_in(page, OVERDUE)
    main_nav(page).get_by_role("link", name="Orders").click()
    page.get_by_role("link", name="Place an order").first.click()
    sim = page.get_by_role("region", name="SIM")
    sim.get_by_role("radio", name=re.compile("SIM Voice \\+ 20GB")).check()
    sim.get_by_role("button", name="Review the order").click()

    expect(page.get_by_role("heading", name="Review your order", level=1)).to_be_visible()
    review = page.get_by_role("region", name="You are ordering")
    expect(review).to_contain_text("SIM Voice + 20GB")
    expect(review).to_contain_text("¥2,948 a month")
    expect(review).to_contain_text("¥440, once, on your first invoice")
    expect(review).to_contain_text("Visa •••• 4242")
    assert not Order.objects.filter(customer__user__email=OVERDUE, status="pending_review")
    screenshot(page, "order-review")

    page.get_by_role("button", name="Place the order").click()
    page.wait_for_url(re.compile(r"/account/orders/\d+$"))
    expect(page.locator(".flash")).to_contain_text("We received order")
    expect(page.get_by_text("Estimated start")).to_be_visible()
    order = Order.objects.get(customer__user__email=OVERDUE, status="pending_review")
    assert order.plan.code == "sim-voice-20gb"
    screenshot(page, "order-placed")


def test_the_ordering_customer_cancels_the_order_pending_review(page):
    log_in(page, "ordering@demo.example")
    page.goto("/account/orders")
    page.get_by_role("link", name="ORD-D00402").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Order ORD-D00402")
    # The order page asks first: its link opens a question, and only its answer cancels.
    page.get_by_role("link", name="Cancel this order").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel order ORD-D00402?")
    assert Order.objects.get(number="ORD-D00402").status == "pending_review"
    screenshot(page, "order-cancel-question")
    page.get_by_role("link", name="Keep the order").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Order ORD-D00402")
    assert Order.objects.get(number="ORD-D00402").status == "pending_review"
    page.get_by_role("link", name="Cancel this order").click()
    page.get_by_role("button", name="Cancel the order").click()
    expect(page.locator(".flash")).to_contain_text("Order ORD-D00402 is cancelled.")
    expect(page.locator("#order-progress .badge")).to_have_text("Cancelled")
    expect(page.get_by_role("link", name="Cancel this order")).to_have_count(0)
    assert Order.objects.get(number="ORD-D00402").status == "cancelled"
    screenshot(page, "order-cancelled")


def test_the_customer_withdraws_a_scheduled_cancellation(page):
    sim = Subscription.objects.get(customer__user__email=OVERDUE, plan__kind="sim")
    request_cancellation(
        customer=sim.customer,
        subscription_id=sim.pk,
        effective_on=offered_effective_dates(now=timezone.now())[0],
        reason="moving",
    )
    log_in(page, OVERDUE)
    page.goto(f"/account/services/{sim.pk}")
    expect(page.get_by_role("heading", name="Cancellation scheduled")).to_be_visible()
    page.get_by_role("button", name="Withdraw cancellation").click()
    expect(page.get_by_role("heading", name="Cancellation scheduled")).to_have_count(0)
    expect(page.get_by_role("link", name="Cancel this service")).to_be_visible()
    sim.refresh_from_db()
    assert sim.status == "active"
    screenshot(page, "cancellation-withdrawn")


def test_the_new_customer_asks_support_from_the_menu(page):
    log_in(page, "new@demo.example")
    main_nav(page).get_by_role("link", name="Support").click()
    page.wait_for_url(re.compile(r"/account/support$"))
    page.get_by_label("Topic").select_option("orders")
    page.get_by_label("Your message").fill("Can I order internet before the check finishes?")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(r"/account/support/\d+$"))
    expect(page.locator(".support-message").first).to_contain_text(
        "Can I order internet before the check finishes?"
    )
    expect(page.locator("main")).to_contain_text("Waiting for our reply")
    assert SupportRequest.objects.filter(customer__user__email="new@demo.example").count() == 1
    screenshot(page, "support-sent")
