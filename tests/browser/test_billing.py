from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot


def test_the_overdue_customer_finds_the_late_invoice_first_and_opens_it(page):
    log_in(page, "overdue@demo.example")
    page.goto("/account/billing/invoices")
    first_row = page.locator("tbody tr").first
    expect(first_row).to_contain_text("INV-D002-03")
    expect(first_row).to_contain_text("Overdue by 10 days")
    screenshot(page, "billing-invoices")
    first_row.get_by_role("link", name="INV-D002-03").click()
    page.wait_for_url(re.compile(r"/account/billing/invoices/\d+$"))
    expect(page.get_by_role("alert")).to_contain_text("is 10 days overdue")
    expect(page.get_by_text("¥7,458").first).to_be_visible()
    screenshot(page, "billing-invoice")


def test_a_customer_adds_a_card_and_makes_it_the_default_in_place(page):
    log_in(page, "overdue@demo.example")
    page.goto("/account/billing/payment-methods")
    # The card is typed on the processor's own page, which sends back only a token.
    page.get_by_role("link", name="Add a card").click()
    page.wait_for_url(re.compile(r"/test-processor/cards\?"))
    page.get_by_label("Card number").fill("3566 0020 2036 0505")
    page.get_by_label("Expiry date").fill("08/30")
    page.get_by_label("Security code").fill("123")
    page.get_by_role("button", name="Save the card").click()
    page.wait_for_url(re.compile(r"/account/billing/payment-methods$"))
    expect(page.locator(".flash")).to_contain_text("JCB •••• 0505 is added.")
    # htmx swaps the list in place: the page does not reload.
    page.evaluate("window.notReloaded = true")
    page.get_by_role("button", name="Make default").click()
    page.get_by_text("is now your default payment method").wait_for()
    assert page.evaluate("window.notReloaded") is True
    expect(page.locator(".payment-method--default")).to_contain_text("0505")
    screenshot(page, "billing-payment-methods")
