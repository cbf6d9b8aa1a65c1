from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from billing.models import BillingRun, Invoice
from staff.models import StaffAction
from tests.factories import InvoiceFactory, PaymentMethodFactory

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
    assert StaffAction.objects.get().subject_label == unpaid.number
    assert response.status_code == 200
    assert "cannot be paid" in response.content.decode()
    assert Invoice.objects.get(pk=unpaid.pk).status == "paid"
    assert Invoice.objects.get(pk=unpaid.pk).paid_at is not None
    assert Invoice.objects.get(pk=cancelled.pk).status == "cancelled"


def test_payment_methods_are_only_shown_to_staff(admin, customer):
    # The customer manages their methods with the processor; staff have no actions on them.
    PaymentMethodFactory(customer=customer, is_default=True)
    response = admin.get("/admin/billing/paymentmethod/")
    assert response.status_code == 200
    assert response.context["action_form"] is None or not [
        name for name, _label in response.context["action_form"].fields["action"].choices if name
    ]


def test_the_invoice_page_marks_it_paid_with_a_button_and_logs_it(admin, staff_user):
    invoice = InvoiceFactory(status="unpaid")
    page = admin.get(f"/admin/billing/invoice/{invoice.pk}/change/")
    assert f"/admin/billing/invoice/{invoice.pk}/mark-paid/" in page.content.decode()
    response = admin.post(f"/admin/billing/invoice/{invoice.pk}/mark-paid/")
    assert response.status_code == 302
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"
    action = StaffAction.objects.get()
    assert (action.actor, action.action, action.customer) == (
        staff_user,
        "invoice_paid",
        invoice.customer,
    )
    assert action.subject_label == invoice.number


def test_cancelling_an_invoice_asks_for_a_reason_and_logs_it(admin, staff_user):
    invoice = InvoiceFactory(status="unpaid")
    url = f"/admin/billing/invoice/{invoice.pk}/cancel/"
    form = admin.get(url)
    assert form.status_code == 200
    assert "admin/css/forms.css" in form.content.decode()
    assert admin.post(url, {"reason": " "}).status_code == 200  # the form again, with its error
    assert Invoice.objects.get(pk=invoice.pk).status == "unpaid"
    assert admin.post(url, {"reason": "Billed twice"}).status_code == 302
    assert Invoice.objects.get(pk=invoice.pk).status == "cancelled"
    action = StaffAction.objects.get()
    assert (action.action, action.reason) == ("invoice_cancelled", "Billed twice")
    # Again: nothing changes and nothing more is logged.
    admin.post(url, {"reason": "Billed twice"})
    assert StaffAction.objects.count() == 1


def test_a_paid_invoice_cannot_be_cancelled(admin):
    invoice = InvoiceFactory(status="paid")
    response = admin.post(
        f"/admin/billing/invoice/{invoice.pk}/cancel/", {"reason": "x"}, follow=True
    )
    assert "cannot be cancelled" in response.content.decode()
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"
    assert not StaffAction.objects.exists()


def test_payment_methods_cannot_be_added_or_deleted_by_hand(admin, customer):
    method = PaymentMethodFactory(customer=customer)
    assert admin.get("/admin/billing/paymentmethod/add/").status_code == 403
    assert admin.get(f"/admin/billing/paymentmethod/{method.pk}/delete/").status_code == 403
    assert admin.get(f"/admin/billing/paymentmethod/{method.pk}/change/").status_code == 200
    assert admin.post(f"/admin/billing/paymentmethod/{method.pk}/change/").status_code == 403
    assert admin.get("/admin/billing/invoice/").status_code == 200
    invoice = InvoiceFactory(customer=customer)
    assert admin.get("/admin/billing/invoice/add/").status_code == 403
    assert admin.post(f"/admin/billing/invoice/{invoice.pk}/change/").status_code == 403
    assert admin.get(f"/admin/billing/invoice/{invoice.pk}/delete/").status_code == 403


# --- Billing runs -----------------------------------------------------------------------------


def _run(period_start, **fields):
    return BillingRun.objects.create(period_start=period_start, started_at=timezone.now(), **fields)


def test_the_admin_home_shows_the_latest_billing_runs_with_their_progress(admin):
    _run(date(2026, 8, 1), status="completed")
    _run(date(2026, 9, 1), status="completed")
    _run(date(2026, 10, 1), status="completed", customers_total=10, customers_done=10)
    _run(date(2026, 11, 1), customers_total=10, customers_done=4, invoices_created=3)
    html = admin.get("/admin/").content.decode()
    panel = html[html.index('id="billing-runs"') :]
    assert "Billing runs" in panel
    assert panel.index("November 2026") < panel.index("October 2026")
    assert "August 2026" not in panel  # the latest three
    november = panel[panel.index("November 2026") : panel.index("October 2026")]
    assert "Running" in november
    assert "4 / 10" in november
    assert "<td>3</td>" in november


def test_the_admin_home_says_when_no_billing_run_has_happened(admin):
    html = admin.get("/admin/").content.decode()
    assert "No billing run yet." in html


def test_billing_runs_and_unbilled_charges_are_read_only_for_staff(admin):
    run = _run(date(2026, 11, 1))
    assert admin.get("/admin/billing/billingrun/").status_code == 200
    assert admin.get("/admin/billing/billingrun/add/").status_code == 403
    page = admin.get(f"/admin/billing/billingrun/{run.pk}/change/")
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()
    assert admin.get("/admin/billing/unbilledcharge/").status_code == 200
    assert admin.get("/admin/billing/unbilledcharge/add/").status_code == 403
