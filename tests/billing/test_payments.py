"""Paying an invoice: POST /api/invoices/{id}/payments, the service and its recovery."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing import selectors
from billing.models import Invoice, Payment, PaymentStatus
from billing.processor import TestPaymentProcessor
from billing.services.payment_methods import add_payment_method
from billing.services.payments import complete_payment
from notifications.models import Notification
from tests.factories import InvoiceFactory, InvoiceLineFactory, PaymentMethodFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_ledger():
    TestPaymentProcessor.ledger.clear()
    yield
    TestPaymentProcessor.ledger.clear()


@pytest.fixture
def card(customer):
    return PaymentMethodFactory(customer=customer, is_default=True)


@pytest.fixture
def invoice(customer):
    invoice = InvoiceFactory(customer=customer, total=Decimal("6930"), tax=Decimal("630"))
    InvoiceLineFactory(invoice=invoice, description="Hikari 1G", amount=Decimal("6930"))
    return invoice


def _pay(api, invoice, key=None, **body):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return api.post(f"/api/invoices/{invoice.pk}/payments", body, format="json", **headers)


def test_paying_marks_the_invoice_paid_and_tells_the_customer(api, customer, card, invoice):
    response = _pay(api, invoice, key=str(uuid.uuid4()))
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "invoiceId", "amount", "status", "paidAt", "receiptUrl"}
    assert body["invoiceId"] == invoice.pk
    assert body["amount"] == {"amount": "6930.00", "currency": "JPY"}
    assert body["status"] == "succeeded"
    assert body["receiptUrl"] == f"/api/payments/{body['id']}/receipt"
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert invoice.paid_at is not None
    notification = Notification.objects.get(user=customer.user, type="PAYMENT_RECEIVED")
    assert notification.source_id == str(body["id"])
    assert len(TestPaymentProcessor.ledger) == 1


def test_the_same_key_again_gives_the_same_answer_and_charges_nothing(api, card, invoice):
    key = str(uuid.uuid4())
    first = _pay(api, invoice, key=key)
    second = _pay(api, invoice, key=key)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json()
    assert Payment.objects.count() == 1
    assert len(TestPaymentProcessor.ledger) == 1


def test_another_key_for_a_paid_invoice_is_409_invoice_already_paid(api, card, invoice):
    assert _pay(api, invoice, key="first").status_code == 201
    response = _pay(api, invoice, key="second")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invoice_already_paid"
    assert len(TestPaymentProcessor.ledger) == 1


def test_without_the_header_it_is_400(api, card, invoice):
    response = _pay(api, invoice)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert "Idempotency-Key" in response.json()["error"]["fields"]
    invoice.refresh_from_db()
    assert invoice.status == "unpaid"


def test_a_declined_card_is_402_and_the_invoice_stays_unpaid(api, customer, invoice):
    add_payment_method(customer=customer, token="tok_visa_insufficient_funds")
    response = _pay(api, invoice, key="k1")
    assert response.status_code == 402
    assert response.json()["error"]["code"] == "payment_declined"
    invoice.refresh_from_db()
    assert invoice.status == "unpaid"
    assert Payment.objects.get().status == PaymentStatus.FAILED
    # The same key: the same decline; a new key with another card pays.
    assert _pay(api, invoice, key="k1").status_code == 402
    other = add_payment_method(customer=customer, token="tok_jcb").payment_method
    response = _pay(api, invoice, key="k2", paymentMethodId=other.pk)
    assert response.status_code == 201


def test_without_a_payment_method_it_is_409_payment_method_required(api, invoice):
    response = _pay(api, invoice, key="k")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "payment_method_required"


def test_another_customers_method_is_a_400_naming_the_field(api, card, invoice, other_customer):
    theirs = PaymentMethodFactory(customer=other_customer, is_default=True)
    response = _pay(api, invoice, key="k", paymentMethodId=theirs.pk)
    assert response.status_code == 400
    assert "paymentMethodId" in response.json()["error"]["fields"]


def test_an_expired_card_is_declined_before_charging(api, customer, invoice):
    today = timezone.localdate()
    last_month = today.replace(day=1) - timedelta(days=1)
    PaymentMethodFactory(
        customer=customer, is_default=True, exp_month=last_month.month, exp_year=last_month.year
    )
    response = _pay(api, invoice, key="k")
    assert response.status_code == 402
    assert TestPaymentProcessor.ledger == {}


def test_another_customers_invoice_is_404(other_api, card, invoice):
    assert _pay(other_api, invoice, key="k").status_code == 404


def test_without_a_login_it_is_401(anonymous_api, invoice):
    assert _pay(anonymous_api, invoice, key="k").status_code == 401


def test_a_key_used_for_another_invoice_is_refused(api, customer, card, invoice):
    assert _pay(api, invoice, key="k").status_code == 201
    second = InvoiceFactory(customer=customer)
    response = _pay(api, second, key="k")
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["fields"]


def test_a_cancelled_invoice_cannot_be_paid(api, card, customer):
    cancelled = InvoiceFactory(customer=customer, status="cancelled")
    response = _pay(api, cancelled, key="k")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invoice_not_payable"


def test_a_payment_left_pending_by_a_crash_is_finished_once(customer, card, invoice):
    # What a crash between storing the payment and charging leaves behind.
    payment = Payment.objects.create(
        customer=customer,
        invoice=invoice,
        payment_method=card,
        idempotency_key="crashed",
        amount=invoice.total,
        created_at=timezone.now() - timedelta(minutes=10),
    )
    assert selectors.list_pending_payment_ids(started_before=timezone.now()) == [payment.pk]
    first = complete_payment(payment_id=payment.pk)
    second = complete_payment(payment_id=payment.pk)
    assert first.status == second.status == PaymentStatus.SUCCEEDED
    assert len(TestPaymentProcessor.ledger) == 1
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"
    assert Notification.objects.filter(type="PAYMENT_RECEIVED").count() == 1
    assert selectors.list_pending_payment_ids(started_before=timezone.now()) == []


def test_a_charge_that_went_through_before_a_crash_is_not_made_again(customer, card, invoice):
    payment = Payment.objects.create(
        customer=customer,
        invoice=invoice,
        payment_method=card,
        idempotency_key="crashed",
        amount=invoice.total,
        created_at=timezone.now(),
    )
    # The processor charged, then the process died before recording it.
    TestPaymentProcessor().charge(
        reference=card.processor_reference,
        amount=invoice.total,
        currency="JPY",
        idempotency_key=f"payment-{payment.pk}",
    )
    complete_payment(payment_id=payment.pk)
    assert len(TestPaymentProcessor.ledger) == 1
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.SUCCEEDED


def test_the_sweep_finishes_a_payment_left_pending_once(
    customer, card, invoice, django_capture_on_commit_callbacks
):
    from outbox.sweeps import sweep_unfinished_work

    Payment.objects.create(
        customer=customer,
        invoice=invoice,
        payment_method=card,
        idempotency_key="crashed",
        amount=invoice.total,
        created_at=timezone.now() - timedelta(minutes=15),
    )
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            sweep_unfinished_work(now=timezone.now())
    assert len(TestPaymentProcessor.ledger) == 1
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"
    assert Notification.objects.filter(type="PAYMENT_RECEIVED").count() == 1
