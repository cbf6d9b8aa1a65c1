"""The pay page: confirm the amount and the card, pay once, download the documents."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from billing.models import Invoice, Payment
from billing.processor import TestPaymentProcessor
from billing.services.payment_methods import add_payment_method
from tests.factories import InvoiceFactory, PaymentMethodFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_ledger():
    TestPaymentProcessor.ledger.clear()
    yield
    TestPaymentProcessor.ledger.clear()


@pytest.fixture
def invoice(customer):
    return InvoiceFactory(customer=customer, total=Decimal("6930"), number="INV-T-PAY")


def _key(page: str) -> str:
    match = re.search(r'name="key" value="([0-9a-f]+)"', page)
    assert match, "the form carries its key"
    return match.group(1)


def test_the_page_shows_the_amount_and_the_default_card(browser_client, customer, invoice):
    card = PaymentMethodFactory(customer=customer, is_default=True, brand="JCB", last4="0505")
    page = browser_client.get(f"/account/billing/invoices/{invoice.pk}/pay").content.decode()
    assert "¥6,930" in page
    assert "0505" in page
    assert f'value="{card.pk}" checked' in page


def test_paying_twice_with_the_same_form_pays_once(browser_client, customer, invoice):
    card = PaymentMethodFactory(customer=customer, is_default=True)
    page = browser_client.get(f"/account/billing/invoices/{invoice.pk}/pay").content.decode()
    form = {"payment_method": card.pk, "key": _key(page)}
    first = browser_client.post(f"/account/billing/invoices/{invoice.pk}/pay", form)
    second = browser_client.post(f"/account/billing/invoices/{invoice.pk}/pay", form)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == f"/account/billing/invoices/{invoice.pk}"
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"
    assert Payment.objects.count() == 1
    assert len(TestPaymentProcessor.ledger) == 1
    detail = browser_client.get(first["Location"]).content.decode()
    payment = Payment.objects.get()
    assert f"/account/billing/payments/{payment.pk}/receipt" in detail
    assert "Pay now" not in detail


def test_a_declined_card_is_explained_and_another_try_gets_a_new_key(
    browser_client, customer, invoice
):
    declining = add_payment_method(
        customer=customer, token="tok_visa_insufficient_funds"
    ).payment_method
    page = browser_client.get(f"/account/billing/invoices/{invoice.pk}/pay").content.decode()
    key = _key(page)
    response = browser_client.post(
        f"/account/billing/invoices/{invoice.pk}/pay", {"payment_method": declining.pk, "key": key}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "insufficient funds" in body
    assert _key(body) != key
    assert Invoice.objects.get(pk=invoice.pk).status == "unpaid"


def test_without_a_card_the_page_asks_for_one(browser_client, invoice):
    page = browser_client.get(f"/account/billing/invoices/{invoice.pk}/pay").content.decode()
    assert "/account/billing/payment-methods" in page
    assert 'name="key"' not in page


def test_a_paid_invoice_goes_back_to_its_page(browser_client, customer):
    paid = InvoiceFactory(customer=customer, status="paid")
    response = browser_client.get(f"/account/billing/invoices/{paid.pk}/pay")
    assert response.status_code == 302


def test_another_customers_invoice_is_404(browser_client, other_customer):
    theirs = InvoiceFactory(customer=other_customer)
    assert browser_client.get(f"/account/billing/invoices/{theirs.pk}/pay").status_code == 404
    assert browser_client.get(f"/account/billing/invoices/{theirs.pk}/pdf").status_code == 404


def test_without_a_login_it_sends_to_login(client, invoice):
    response = client.get(f"/account/billing/invoices/{invoice.pk}/pay")
    assert response.status_code == 302
    assert response["Location"].startswith("/login")
