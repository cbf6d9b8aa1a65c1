"""Collection runs overlapping on a real database (PostgreSQL): one charge per attempt."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from billing.models import ChargeAttempt, Payment
from billing.processor import DECLINING_PREFIX, TestPaymentProcessor
from billing.services.collection import collect_payments
from notifications.models import Notification
from portal.dates import TOKYO
from tests.factories import InvoiceFactory, PaymentMethodFactory
from tests.notifications.concurrency import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DUE = date(2027, 1, 27)
NINE = datetime(2027, 1, 27, 9, 0, tzinfo=TOKYO)


@pytest.fixture(autouse=True)
def _fresh_ledger():
    TestPaymentProcessor.ledger.clear()
    yield
    TestPaymentProcessor.ledger.clear()


def test_two_collection_runs_at_once_charge_each_invoice_once(customer):
    PaymentMethodFactory(customer=customer, is_default=True)
    invoices = [
        InvoiceFactory(customer=customer, due_date=DUE, total=Decimal("5500")) for _ in range(5)
    ]
    made = run_at_once(lambda: collect_payments(now=NINE), threads=4)
    assert sum(made) == 5
    assert len(TestPaymentProcessor.ledger) == 5
    assert Payment.objects.count() == 5
    assert ChargeAttempt.objects.count() == 5
    assert {i.status for i in type(invoices[0]).objects.all()} == {"paid"}


def test_two_runs_at_once_fail_an_attempt_once_and_tell_the_customer_once(customer):
    PaymentMethodFactory(
        customer=customer, is_default=True, processor_reference=f"{DECLINING_PREFIX}9"
    )
    invoice = InvoiceFactory(customer=customer, due_date=DUE, total=Decimal("5500"))
    made = run_at_once(lambda: collect_payments(now=NINE), threads=4)
    assert sum(made) == 1
    assert Payment.objects.filter(invoice=invoice).count() == 1
    assert Notification.objects.filter(type="PAYMENT_FAILED").count() == 1
    assert list(ChargeAttempt.objects.values_list("number", flat=True)) == [1, 2]
