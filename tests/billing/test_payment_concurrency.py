"""Payments racing each other on a real database (PostgreSQL): an invoice is charged once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.models import Invoice, Payment, PaymentStatus
from billing.processor import TestPaymentProcessor
from billing.services.payments import pay_invoice
from notifications.models import Notification
from portal.api_errors import ApplicationError
from tests.factories import InvoiceFactory, PaymentMethodFactory
from tests.notifications.concurrency import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fresh_ledger():
    TestPaymentProcessor.ledger.clear()
    yield
    TestPaymentProcessor.ledger.clear()


def _attempt(customer, invoice, key):
    def pay() -> str:
        try:
            pay_invoice(customer=customer, invoice_id=invoice.pk, idempotency_key=key())
        except ApplicationError as error:
            return error.code
        return "paid"

    return pay


@pytest.mark.parametrize("same_key", [True, False], ids=["same key", "different keys"])
def test_concurrent_payments_charge_once(customer, same_key):
    PaymentMethodFactory(customer=customer, is_default=True)
    invoice = InvoiceFactory(customer=customer, total=Decimal("5500"))
    counter = iter(range(1000))
    outcomes = run_at_once(
        _attempt(customer, invoice, lambda: "one" if same_key else f"k{next(counter)}"),
        threads=8,
    )
    assert len(TestPaymentProcessor.ledger) == 1
    assert Payment.objects.filter(status=PaymentStatus.SUCCEEDED).count() == 1
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"
    assert Notification.objects.filter(type="PAYMENT_RECEIVED").count() == 1
    if same_key:
        assert outcomes == ["paid"] * 8
    else:
        assert sorted(outcomes) == ["invoice_already_paid"] * 7 + ["paid"]
