from __future__ import annotations

import re

from tests.browser.conftest import log_in, screenshot


def test_the_overdue_customer_finds_the_late_invoice_first_and_opens_it(page):
    log_in(page, "overdue@demo.example")
    page.goto("/account/billing/invoices")
    first_row = page.locator("tbody tr").first
    assert "INV-D002-03" in first_row.inner_text()
    assert "Overdue by 10 days" in first_row.inner_text()
    screenshot(page, "billing-invoices")
    first_row.get_by_role("link", name="INV-D002-03").click()
    page.wait_for_url(re.compile(r"/account/billing/invoices/\d+$"))
    assert "is 10 days overdue" in page.get_by_role("alert").inner_text()
    assert page.get_by_text("¥7,458").first.is_visible()
    screenshot(page, "billing-invoice")


def test_a_customer_adds_a_card_and_makes_it_the_default_in_place(page):
    log_in(page, "overdue@demo.example")
    page.goto("/account/billing/payment-methods")
    page.get_by_label("Card token").fill("tok_jcb")
    page.get_by_role("button", name="Add payment method").click()
    assert "JCB •••• 0505 is added." in page.locator(".flash").inner_text()
    # htmx swaps the list in place: the page does not reload.
    page.evaluate("window.notReloaded = true")
    page.get_by_role("button", name="Make default").click()
    page.get_by_text("is now your default payment method").wait_for()
    assert page.evaluate("window.notReloaded") is True
    default = page.locator(".payment-method--default")
    assert "0505" in default.inner_text()
    screenshot(page, "billing-payment-methods")
