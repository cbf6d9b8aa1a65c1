from __future__ import annotations

import pytest

from billing.models import Invoice, PaymentMethod
from tests.factories import InvoiceFactory, PaymentMethodFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, staff_user):
    client.force_login(staff_user)
    return client


def _action(admin, model: str, action: str, ids: list[int]):
    return admin.post(
        f"/admin/billing/{model}/",
        {"action": action, "_selected_action": [str(pk) for pk in ids]},
        follow=True,
    )


def test_support_marks_unpaid_invoices_paid_and_leaves_cancelled_ones(admin):
    unpaid = InvoiceFactory(status="unpaid")
    cancelled = InvoiceFactory(status="cancelled")
    response = _action(admin, "invoice", "mark_paid", [unpaid.pk, cancelled.pk])
    assert response.status_code == 200
    assert "cannot be paid" in response.content.decode()
    assert Invoice.objects.get(pk=unpaid.pk).status == "paid"
    assert Invoice.objects.get(pk=unpaid.pk).paid_at is not None
    assert Invoice.objects.get(pk=cancelled.pk).status == "cancelled"


def test_support_removal_applies_the_one_method_rule(admin, customer):
    SubscriptionFactory(customer=customer, status="active")
    method = PaymentMethodFactory(customer=customer, is_default=True)
    response = _action(admin, "paymentmethod", "remove", [method.pk])
    assert "at least one payment method" in response.content.decode()
    assert PaymentMethod.objects.filter(pk=method.pk).exists()


def test_support_can_switch_a_customers_default(admin, customer):
    PaymentMethodFactory(customer=customer, is_default=True, last4="1111")
    spare = PaymentMethodFactory(customer=customer, last4="2222")
    _action(admin, "paymentmethod", "make_default", [spare.pk])
    assert PaymentMethod.objects.get(customer=customer, is_default=True) == spare


def test_payment_methods_cannot_be_added_or_deleted_by_hand(admin, customer):
    method = PaymentMethodFactory(customer=customer)
    assert admin.get("/admin/billing/paymentmethod/add/").status_code == 403
    assert admin.get(f"/admin/billing/paymentmethod/{method.pk}/delete/").status_code == 403
    assert admin.get(f"/admin/billing/paymentmethod/{method.pk}/change/").status_code == 200
    assert admin.get("/admin/billing/invoice/").status_code == 200
