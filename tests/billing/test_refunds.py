"""Refunding a payment: billing.services.refunds.refund_payment, through the processor."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from billing.models import Payment, PaymentStatus, Refund
from billing.processor import TestPaymentProcessor
from billing.services.refunds import refund_payment
from notifications.models import Notification
from portal.api_errors import ApplicationError
from staff.models import StaffAction, StaffActionType
from tests.factories import InvoiceFactory, InvoiceLineFactory, PaymentMethodFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 10, 12, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


@pytest.fixture(autouse=True)
def _fresh_ledger():
    TestPaymentProcessor.refunds.clear()
    yield
    TestPaymentProcessor.refunds.clear()


def make_paid_payment(customer, *, total: str = "6930") -> Payment:
    invoice = InvoiceFactory(
        customer=customer, total=Decimal(total), tax=Decimal("630"), status="paid", paid_at=NOW
    )
    InvoiceLineFactory(invoice=invoice, description="Hikari 1G", amount=Decimal(total))
    method = PaymentMethodFactory(customer=customer)
    return Payment.objects.create(
        customer=customer,
        invoice=invoice,
        payment_method=method,
        method_description=str(method),
        idempotency_key=f"pay-{invoice.pk}",
        amount=invoice.total,
        status=PaymentStatus.SUCCEEDED,
        processor_reference=f"ch_test_{invoice.pk}",
        created_at=NOW,
        paid_at=NOW,
    )


@pytest.fixture
def payment(customer) -> Payment:
    return make_paid_payment(customer)


def _refund(payment, amount, *, actor, key="key-1", reason="Billed twice"):
    return refund_payment(
        payment_id=payment.pk,
        amount=Decimal(amount),
        reason=reason,
        actor=actor,
        idempotency_key=key,
        now=NOW,
    )


def test_a_part_refund_goes_through_the_processor_and_leaves_the_invoice_paid(payment, staff_user):
    refund = _refund(payment, "1000", actor=staff_user)
    assert refund.amount == Decimal("1000")
    assert refund.processor_reference == TestPaymentProcessor.refunds["key-1"].reference
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED
    payment.invoice.refresh_from_db()
    assert payment.invoice.status == "paid"


def test_refunding_what_is_left_refunds_the_payment_and_the_invoice(payment, staff_user):
    _refund(payment, "1000", actor=staff_user, key="a")
    _refund(payment, "5930", actor=staff_user, key="b")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    payment.invoice.refresh_from_db()
    assert payment.invoice.status == "refunded"


def test_the_same_key_twice_is_one_refund(payment, staff_user):
    first = _refund(payment, "1000", actor=staff_user)
    second = _refund(payment, "1000", actor=staff_user)
    assert first.pk == second.pk
    assert Refund.objects.count() == 1
    assert len(TestPaymentProcessor.refunds) == 1
    assert StaffAction.objects.filter(action=StaffActionType.PAYMENT_REFUNDED).count() == 1


def test_a_key_used_on_another_payment_is_refused(customer, payment, staff_user):
    other = make_paid_payment(customer)
    _refund(payment, "100", actor=staff_user)
    with pytest.raises(ApplicationError) as error:
        _refund(other, "100", actor=staff_user)
    assert error.value.fields is not None and "idempotency_key" in error.value.fields


@pytest.mark.parametrize("amount", ["0", "-5", "10.50", "6931"])
def test_an_amount_outside_one_yen_to_what_is_left_is_refused(payment, staff_user, amount):
    with pytest.raises(ApplicationError) as error:
        _refund(payment, amount, actor=staff_user)
    assert error.value.code == "validation_error"
    assert error.value.fields is not None and "amount" in error.value.fields
    assert not Refund.objects.exists()
    assert not TestPaymentProcessor.refunds


def test_more_than_is_left_after_a_part_refund_is_refused(payment, staff_user):
    _refund(payment, "6000", actor=staff_user, key="a")
    with pytest.raises(ApplicationError) as error:
        _refund(payment, "931", actor=staff_user, key="b")
    assert "¥930" in error.value.message


def test_a_refund_needs_a_reason(payment, staff_user):
    with pytest.raises(ApplicationError) as error:
        _refund(payment, "100", actor=staff_user, reason="  ")
    assert error.value.fields is not None and "reason" in error.value.fields


@pytest.mark.parametrize("status", [PaymentStatus.PENDING, PaymentStatus.FAILED])
def test_a_payment_not_made_cannot_be_refunded(payment, staff_user, status):
    Payment.objects.filter(pk=payment.pk).update(status=status)
    with pytest.raises(ApplicationError) as error:
        _refund(payment, "100", actor=staff_user)
    assert error.value.code == "payment_not_refundable"


def test_a_refund_is_audited_with_its_reason(payment, staff_user):
    refund = _refund(payment, "1000", actor=staff_user, reason="Goodwill after the outage")
    action = StaffAction.objects.get(action=StaffActionType.PAYMENT_REFUNDED)
    assert action.actor == staff_user
    assert action.customer == payment.customer
    assert action.reason == "Goodwill after the outage"
    assert action.details["refund_id"] == refund.pk
    assert action.details["amount"] == "1000"


def test_the_customer_is_told_of_the_refund(payment, staff_user):
    refund = _refund(payment, "1000", actor=staff_user)
    notification = Notification.objects.get(user=payment.customer.user, type="REFUND_ISSUED")
    assert notification.source_id == str(refund.pk)
    assert notification.category == "billing"
    assert notification.severity == "info"


def test_a_processor_that_fails_records_nothing(payment, staff_user, monkeypatch):
    # The processor is the outside world: it is the one thing faked here.
    def unreachable(self, **kwargs):
        raise ConnectionError("processor down")

    monkeypatch.setattr(TestPaymentProcessor, "refund", unreachable)
    with pytest.raises(ApplicationError) as error:
        _refund(payment, "1000", actor=staff_user)
    assert error.value.code == "billing_unavailable"
    assert not Refund.objects.exists()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
