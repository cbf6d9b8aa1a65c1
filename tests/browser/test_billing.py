from __future__ import annotations

import re
from decimal import Decimal

from playwright.sync_api import expect

from accounts.models import User
from billing.models import Invoice, Payment, PaymentMethod, PaymentStatus
from billing.services.refunds import refund_payment
from tests.browser.conftest import log_in, screenshot
from tests.factories import PaymentMethodFactory


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


def test_removing_a_card_asks_first_and_works_without_javascript(page_without_javascript):
    page = page_without_javascript
    customer_methods = PaymentMethod.objects.filter(customer__user__email="overdue@demo.example")
    spare = PaymentMethodFactory(
        customer=customer_methods.first().customer, brand="JCB", last4="0505"
    )
    log_in(page, "overdue@demo.example")
    page.goto("/account/billing/payment-methods")
    page.get_by_role("link", name="Remove the method ending in 0505").click()
    page.wait_for_url(re.compile(rf"/account/billing/payment-methods/{spare.pk}/remove$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Remove JCB ending in 0505?")
    assert PaymentMethod.objects.filter(pk=spare.pk).exists()
    screenshot(page, "payment-method-remove-question")
    page.get_by_role("button", name="Remove this payment method").click()
    page.wait_for_url(re.compile(r"/account/billing/payment-methods$"))
    expect(page.locator(".flash")).to_contain_text("JCB •••• 0505 is removed.")
    assert not PaymentMethod.objects.filter(pk=spare.pk).exists()
    assert customer_methods.count() == 1


def test_a_customer_finds_a_refund_and_its_credit_note_in_the_payment_history(page):
    invoice = Invoice.objects.filter(customer__user__email="overdue@demo.example").first()
    assert invoice is not None
    Invoice.objects.filter(pk=invoice.pk).update(status="paid")
    payment = Payment.objects.create(
        customer=invoice.customer,
        invoice=invoice,
        method_description="Visa •••• 4242",
        idempotency_key="browser-refund",
        amount=invoice.total,
        status=PaymentStatus.SUCCEEDED,
        processor_reference="ch_test_browser",
        created_at=invoice.created_at,
        paid_at=invoice.created_at,
    )
    refund_payment(
        payment_id=payment.pk,
        amount=Decimal("500"),
        reason="Goodwill",
        actor=User.objects.get(email="support@demo.example"),
    )
    log_in(page, "overdue@demo.example")
    page.goto("/account/billing/invoices")
    page.get_by_role("link", name="Payment history").click()
    page.wait_for_url(re.compile(r"/account/billing/payments$"))
    expect(page.get_by_role("heading", name="Payment history")).to_be_visible()
    expect(page.get_by_text("Partly refunded")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^Credit note CRN-"))).to_be_visible()
    screenshot(page, "billing-payment-history")
