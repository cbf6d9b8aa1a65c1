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


# --- GET /api/payments, the credit note and the payment history page ---------------------


def test_the_payment_history_lists_payments_newest_first_with_their_refunds(
    api, customer, payment, staff_user
):
    later = make_paid_payment(customer, total="1100")
    Payment.objects.filter(pk=later.pk).update(created_at=NOW.replace(hour=13))
    refund = _refund(payment, "1000", actor=staff_user)
    response = api.get("/api/payments")
    assert response.status_code == 200
    body = response.json()
    assert [item["id"] for item in body["items"]] == [later.pk, payment.pk]
    assert body["nextCursor"] is None
    item = body["items"][1]
    assert {
        "id",
        "invoiceId",
        "amount",
        "status",
        "method",
        "createdAt",
        "paidAt",
        "failureReason",
        "refunds",
        "receiptUrl",
    } <= set(item)
    assert item["status"] == "partially_refunded"
    assert item["amount"] == {"amount": "6930.00", "currency": "JPY"}
    assert item["method"] == {"type": "card", "brand": "Visa", "last4": "4242"}
    assert item["failureReason"] is None
    assert item["receiptUrl"] == f"/api/payments/{payment.pk}/receipt"
    assert item["refunds"] == [
        {
            "id": refund.pk,
            "amount": {"amount": "1000.00", "currency": "JPY"},
            "createdAt": item["refunds"][0]["createdAt"],
            "creditNoteUrl": f"/api/refunds/{refund.pk}/pdf",
        }
    ]


def test_a_declined_payment_says_why_and_has_no_receipt(api, payment):
    Payment.objects.filter(pk=payment.pk).update(
        status=PaymentStatus.FAILED, failure_message="Insufficient funds", paid_at=None
    )
    (item,) = api.get("/api/payments").json()["items"]
    assert item["status"] == "failed"
    assert item["failureReason"] == "Insufficient funds"
    assert item["receiptUrl"] is None


def test_the_payment_history_pages_with_a_cursor(api, customer):
    for hour in range(3):
        made = make_paid_payment(customer, total="1100")
        Payment.objects.filter(pk=made.pk).update(created_at=NOW.replace(hour=hour))
    first = api.get("/api/payments?limit=2").json()
    assert len(first["items"]) == 2
    second = api.get(f"/api/payments?limit=2&cursor={first['nextCursor']}").json()
    assert len(second["items"]) == 1
    assert second["nextCursor"] is None


def test_other_customers_payments_are_not_listed(api, other_customer):
    make_paid_payment(other_customer)
    assert api.get("/api/payments").json()["items"] == []


def test_a_refund_still_has_its_receipt(api, payment, staff_user):
    _refund(payment, "6930", actor=staff_user)
    response = api.get(f"/api/payments/{payment.pk}/receipt")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def test_the_credit_note_downloads_as_a_pdf(api, payment, staff_user):
    refund = _refund(payment, "1000", actor=staff_user)
    response = api.get(f"/api/refunds/{refund.pk}/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"{refund.credit_note_number}.pdf" in response["Content-Disposition"]


def test_another_customers_credit_note_is_404(api, other_customer, staff_user, browser_client):
    theirs = _refund(make_paid_payment(other_customer), "100", actor=staff_user)
    assert api.get(f"/api/refunds/{theirs.pk}/pdf").status_code == 404
    assert browser_client.get(f"/account/billing/refunds/{theirs.pk}/pdf").status_code == 404


@pytest.mark.parametrize("url", ["/api/payments", "/api/refunds/1/pdf"])
def test_the_payment_endpoints_need_a_login(anonymous_api, url):
    assert anonymous_api.get(url).status_code == 401


def test_the_payment_history_page_shows_refunds_receipts_and_credit_notes(
    browser_client, payment, staff_user
):
    refund = _refund(payment, "1000", actor=staff_user)
    html = browser_client.get("/account/billing/payments").content.decode()
    assert payment.invoice.number in html
    assert "Partly refunded" in html
    assert "Refunded ¥1,000" in html
    assert f"/account/billing/payments/{payment.pk}/receipt" in html
    assert f"/account/billing/refunds/{refund.pk}/pdf" in html


def test_the_payment_history_page_is_in_japanese_for_a_japanese_reader(
    browser_client, customer, payment, staff_user
):
    customer.language = "ja"
    customer.save(update_fields=["language"])
    _refund(payment, "1000", actor=staff_user)
    html = browser_client.get("/account/billing/payments").content.decode()
    assert "お支払い履歴" in html
    assert "一部返金済み" in html
    assert "返還インボイス" in html


def test_the_billing_pages_link_to_the_payment_history(browser_client):
    html = browser_client.get("/account/billing/invoices").content.decode()
    assert 'href="/account/billing/payments"' in html


def test_the_payment_history_page_needs_a_login(client):
    response = client.get("/account/billing/payments")
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_another_customers_payments_are_not_on_my_page(browser_client, other_customer):
    theirs = make_paid_payment(other_customer)
    html = browser_client.get("/account/billing/payments").content.decode()
    assert theirs.invoice.number not in html
    assert "No payments yet." in html


# --- The Refund button in the admin ------------------------------------------------------


@pytest.fixture
def admin(client, staff_user):
    client.force_login(staff_user)
    return client


def test_the_paid_invoices_page_has_a_refund_button(admin, payment):
    page = admin.get(f"/admin/billing/invoice/{payment.invoice_id}/change/").content.decode()
    assert f"/admin/billing/invoice/{payment.invoice_id}/refund/" in page


def test_refunding_from_the_admin_goes_through_the_service_once_per_form(
    admin, payment, staff_user
):
    url = f"/admin/billing/invoice/{payment.invoice_id}/refund/"
    form = admin.get(url)
    assert form.status_code == 200
    key = form.context["form"].initial["key"]
    body = {"amount": "1000", "reason": "Goodwill", "key": key}
    assert admin.post(url, body).status_code == 302
    assert admin.post(url, body).status_code == 302  # the double click
    (refund,) = Refund.objects.all()
    assert (refund.amount, refund.actor, refund.reason) == (Decimal("1000"), staff_user, "Goodwill")
    page = admin.get(f"/admin/billing/invoice/{payment.invoice_id}/change/").content.decode()
    assert refund.credit_note_number in page and "Goodwill" in page


def test_the_admin_refund_form_refuses_more_than_was_paid(admin, payment):
    url = f"/admin/billing/invoice/{payment.invoice_id}/refund/"
    key = admin.get(url).context["form"].initial["key"]
    response = admin.post(url, {"amount": "9999", "reason": "x", "key": key}, follow=True)
    assert "left to refund" in response.content.decode()
    assert not Refund.objects.exists()


def test_an_invoice_not_paid_through_the_portal_cannot_be_refunded_here(admin):
    invoice = InvoiceFactory(status="paid")
    response = admin.get(f"/admin/billing/invoice/{invoice.pk}/refund/", follow=True)
    assert "was not paid through the portal" in response.content.decode()


def test_only_staff_reach_the_refund_form(client, customer, payment):
    client.force_login(customer.user)
    response = client.post(
        f"/admin/billing/invoice/{payment.invoice_id}/refund/",
        {"amount": "1000", "reason": "x", "key": "k"},
    )
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not Refund.objects.exists()
