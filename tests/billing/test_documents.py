"""The qualified invoice and the receipt as PDFs, read back with pypdf."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from billing.processor import TestPaymentProcessor
from billing.services.payments import pay_invoice
from tests.factories import InvoiceFactory, InvoiceLineFactory, PaymentMethodFactory

pytestmark = pytest.mark.django_db


def _text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def _fonts(content: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(content))
    fonts = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            descendant = font.get_object()["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            assert "/FontFile2" in descriptor, "the font is embedded"
            fonts.append(str(descriptor["/FontName"]))
    return fonts


@pytest.fixture
def invoice(customer):
    invoice = InvoiceFactory(
        customer=customer,
        number="INV-2026-000042",
        issued_on=date(2026, 12, 1),
        due_date=date(2026, 12, 27),
        total=Decimal("7480"),
        tax=Decimal("680"),
        kind="monthly",
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 30),
    )
    InvoiceLineFactory(invoice=invoice, description="Hikari 1G (November)", amount=Decimal("6930"))
    InvoiceLineFactory(invoice=invoice, description="Router rental", amount=Decimal("550"))
    return invoice


def test_the_invoice_pdf_is_a_qualified_invoice_in_english(api, invoice, settings):
    settings.INVOICE_REGISTRATION_NUMBER = "T9876543210987"
    response = api.get(f"/api/invoices/{invoice.pk}/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = _text(response.content)
    for expected in (
        "Qualified invoice",
        "Alice Example",
        "T9876543210987",
        "INV-2026-000042",
        "Dec. 1, 2026",  # issue date
        "Nov. 1, 2026 to Nov. 30, 2026",  # billing period
        "Hikari 1G (November)",
        "Router rental",
        "¥6,930",
        "¥550",
        "Total for the 10% rate (tax included)",
        "¥7,480",
        "Consumption tax at 10%",
        "¥680",
    ):
        assert expected in text, expected
    assert _fonts(response.content)


def test_the_invoice_pdf_speaks_japanese_with_the_font_embedded(api, customer, invoice):
    customer.language = "ja"
    customer.save()
    response = api.get(f"/api/invoices/{invoice.pk}/pdf")
    text = _text(response.content)
    for expected in (
        "適格請求書",
        "Alice Example 様",
        "登録番号",
        "2026年12月1日",
        "7,480円",
        "消費税",
    ):
        assert expected in text, expected
    assert any("IPAexGothic" in name for name in _fonts(response.content))


def test_the_invoice_pdf_gives_the_billing_period_in_japanese(api, customer, invoice):
    customer.language = "ja"
    customer.save()
    text = _text(api.get(f"/api/invoices/{invoice.pk}/pdf").content)
    assert "ご利用期間" in text
    assert "2026年11月1日〜2026年11月30日" in text


def test_a_one_off_invoice_pdf_gives_its_transaction_date_instead_of_a_period(api, customer):
    one_off = InvoiceFactory(customer=customer, issued_on=date(2026, 12, 9))
    text = _text(api.get(f"/api/invoices/{one_off.pk}/pdf").content)
    assert "Transaction date Dec. 9, 2026" in text
    assert "Billing period" not in text


def test_the_page_link_downloads_the_same_invoice(browser_client, invoice):
    response = browser_client.get(f"/account/billing/invoices/{invoice.pk}/pdf")
    assert response.status_code == 200
    assert "INV-2026-000042" in _text(response.content)


def test_a_receipt_is_issued_for_a_payment(api, customer, invoice):
    TestPaymentProcessor.ledger.clear()
    PaymentMethodFactory(customer=customer, is_default=True, brand="JCB", last4="0505")
    payment = pay_invoice(customer=customer, invoice_id=invoice.pk, idempotency_key="r")
    response = api.get(f"/api/payments/{payment.pk}/receipt")
    assert response.status_code == 200
    text = _text(response.content)
    for expected in ("Receipt", payment.receipt_number, "¥7,480", "INV-2026-000042", "0505"):
        assert expected in text, expected


def test_another_customers_documents_are_404(other_api, customer, invoice):
    assert other_api.get(f"/api/invoices/{invoice.pk}/pdf").status_code == 404
    TestPaymentProcessor.ledger.clear()
    PaymentMethodFactory(customer=customer, is_default=True)
    payment = pay_invoice(customer=customer, invoice_id=invoice.pk, idempotency_key="r")
    assert other_api.get(f"/api/payments/{payment.pk}/receipt").status_code == 404


def test_without_a_login_the_pdf_is_401(anonymous_api, invoice):
    assert anonymous_api.get(f"/api/invoices/{invoice.pk}/pdf").status_code == 401
