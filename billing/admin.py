"""Support staff screens for invoices and payment methods: read-only, changed by services.

An invoice is marked paid or cancelled with a button on its page (or the list's action),
and the payment that paid it refunded (in part or whole) with another;
payment methods are the customer's and the processor's, so staff only look at them. The
billing runs and the charges waiting for an invoice are the run's, to look at too.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from billing import selectors
from billing.models import (
    BillingRun,
    Invoice,
    InvoiceLine,
    PaymentMethod,
    Refund,
    UnbilledCharge,
)
from billing.services.invoices import cancel_invoice, mark_invoice_paid
from billing.services.refunds import refund_payment, refunded_total
from portal.api_errors import ApplicationError
from staff.adminkit import ReadOnlyInline, ServiceOwnedAdmin


class InvoiceLineInline(ReadOnlyInline):
    model = InvoiceLine
    fields = readonly_fields = ("description", "amount")


class CancelInvoiceForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        help_text="Kept in the staff action log.",
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=500,
    )


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        label="Amount (yen, tax included)",
        min_value=1,
        decimal_places=0,
        help_text="Whole yen, at most what is left of the payment.",
    )
    reason = forms.CharField(
        label="Reason",
        help_text="Kept in the staff action log.",
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=500,
    )
    # Made when the form is shown: submitting it twice (a double click) refunds once.
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("key", uuid.uuid4().hex)


@admin.register(Invoice)
class InvoiceAdmin(ServiceOwnedAdmin):
    list_display = ["number", "customer", "kind", "issued_on", "due_date", "total", "status"]
    list_filter = ["status", "kind", "period_start"]
    search_fields = [
        "number",
        "customer__name",
        "customer__user__email",
        "customer__crm_account_id",
    ]
    list_select_related = ["customer"]
    date_hierarchy = "due_date"
    inlines = [InvoiceLineInline]
    actions = ["mark_paid"]
    readonly_fields = ["refunds_given"]

    @admin.display(description="Refunds")
    def refunds_given(self, invoice: Invoice) -> str:
        refunds = Refund.objects.filter(payment__invoice=invoice).select_related("actor")
        return (
            "; ".join(
                f"{refund.credit_note_number}: {refund.amount:,.0f} {refund.currency} on "
                f"{timezone.localtime(refund.created_at):%Y-%m-%d %H:%M} by {refund.actor} "
                f"({refund.reason})"
                for refund in refunds
            )
            or "None"
        )

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:invoice_id>/mark-paid/",
                self.admin_site.admin_view(require_POST(self.mark_paid_view)),
                name="billing_invoice_mark_paid",
            ),
            path(
                "<int:invoice_id>/refund/",
                self.admin_site.admin_view(self.refund_view),
                name="billing_invoice_refund",
            ),
            path(
                "<int:invoice_id>/cancel/",
                self.admin_site.admin_view(self.cancel_view),
                name="billing_invoice_cancel",
            ),
            *super().get_urls(),
        ]

    def _change_url(self, invoice_id: int) -> str:
        return reverse("admin:billing_invoice_change", args=[invoice_id])

    def mark_paid_view(self, request: HttpRequest, invoice_id: int) -> HttpResponse:
        self.check_can_act(request)
        invoice = get_object_or_404(Invoice, pk=invoice_id)
        try:
            mark_invoice_paid(invoice_id=invoice.pk, actor=request.user)  # type: ignore[arg-type]
        except ApplicationError as error:
            self.message_user(request, error.message, messages.WARNING)
        else:
            self.message_user(request, f"{invoice.number} is paid.", messages.SUCCESS)
        return HttpResponseRedirect(self._change_url(invoice.pk))

    def cancel_view(self, request: HttpRequest, invoice_id: int) -> HttpResponse:
        self.check_can_act(request)
        invoice = get_object_or_404(Invoice.objects.select_related("customer"), pk=invoice_id)
        form = CancelInvoiceForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            try:
                cancel_invoice(
                    invoice_id=invoice.pk,
                    reason=form.cleaned_data["reason"],
                    actor=request.user,  # type: ignore[arg-type]
                    now=timezone.now(),
                )
            except ApplicationError as error:
                self.message_user(request, error.message, messages.WARNING)
            else:
                self.message_user(request, f"{invoice.number} cancelled.", messages.SUCCESS)
            return HttpResponseRedirect(self._change_url(invoice.pk))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Cancel {invoice.number} of {invoice.customer.name}",
            "opts": self.opts,
            "form": form,
            "legend": f"{invoice.number}: {invoice.total} {invoice.currency}, "
            f"due {invoice.due_date}",
            "intro": "The customer no longer owes this invoice. Only an unpaid invoice can be "
            "cancelled.",
            "submit": "Cancel invoice",
            "back_url": self._change_url(invoice.pk),
        }
        return TemplateResponse(request, "staff/admin/action_form.html", context)

    def refund_view(self, request: HttpRequest, invoice_id: int) -> HttpResponse:
        self.check_can_act(request)
        invoice = get_object_or_404(Invoice.objects.select_related("customer"), pk=invoice_id)
        payment = selectors.get_succeeded_payment(invoice=invoice)
        if payment is None:
            self.message_user(
                request, f"{invoice.number} was not paid through the portal.", messages.WARNING
            )
            return HttpResponseRedirect(self._change_url(invoice.pk))
        form = RefundForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            try:
                refund = refund_payment(
                    payment_id=payment.pk,
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,  # type: ignore[arg-type]
                    idempotency_key=f"admin-{form.cleaned_data['key']}",
                    now=timezone.now(),
                )
            except ApplicationError as error:
                self.message_user(request, error.message, messages.WARNING)
            else:
                self.message_user(
                    request,
                    f"{refund.amount:,.0f} {refund.currency} refunded on {invoice.number} "
                    f"({refund.credit_note_number}).",
                    messages.SUCCESS,
                )
            return HttpResponseRedirect(self._change_url(invoice.pk))
        left = payment.amount - refunded_total(payment=payment)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Refund {invoice.number} of {invoice.customer.name}",
            "opts": self.opts,
            "form": form,
            "legend": f"{payment.receipt_number}: {payment.amount:,.0f} {payment.currency} paid "
            f"with {payment.method_description or 'a removed method'}, "
            f"{left:,.0f} {payment.currency} left to refund",
            "intro": "The money goes back through the payment processor, the customer is told "
            "and gets a credit note. A refund of all that is left refunds the invoice.",
            "submit": "Refund",
            "back_url": self._change_url(invoice.pk),
        }
        return TemplateResponse(request, "staff/admin/action_form.html", context)

    @admin.action(
        description=gettext_lazy("Mark selected invoices as paid"), permissions=["change"]
    )
    def mark_paid(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> None:
        paid = 0
        for invoice in queryset:
            try:
                mark_invoice_paid(invoice_id=invoice.pk, actor=request.user)  # type: ignore[arg-type]
            except ApplicationError as error:
                self.message_user(request, error.message, messages.WARNING)
            else:
                paid += 1
        self.message_user(request, _("%(count)d invoice(s) are now paid.") % {"count": paid})


@admin.register(PaymentMethod)
class PaymentMethodAdmin(ServiceOwnedAdmin):
    """Masked details only; methods come from the processor and the customer manages them."""

    list_display = ["__str__", "customer", "type", "exp_month", "exp_year", "is_default"]
    list_filter = ["type", "brand"]
    search_fields = ["customer__name", "customer__user__email", "last4"]
    list_select_related = ["customer"]
    fields = readonly_fields = (
        "customer",
        "type",
        "brand",
        "last4",
        "exp_month",
        "exp_year",
        "is_default",
        "created_at",
    )


@admin.register(BillingRun)
class BillingRunAdmin(ServiceOwnedAdmin):
    """Progress of each month's run; the run (beat, or `run_job billing_run`) writes it."""

    list_display = [
        "period_start",
        "status",
        "progress",
        "invoices_created",
        "started_at",
        "finished_at",
        "updated_at",
    ]
    list_filter = ["status"]
    fields = readonly_fields = (
        "period_start",
        "status",
        "started_at",
        "finished_at",
        "customers_total",
        "customers_done",
        "invoices_created",
        "last_customer_id",
        "updated_at",
    )

    @admin.display(description="Customers done")
    def progress(self, run: BillingRun) -> str:
        return f"{run.customers_done} / {run.customers_total}"


@admin.register(UnbilledCharge)
class UnbilledChargeAdmin(ServiceOwnedAdmin):
    """One-time fees, from when they are owed until a monthly invoice bills them."""

    list_display = ["description", "customer", "amount", "incurred_on", "invoice"]
    list_filter = [("invoice", admin.EmptyFieldListFilter)]
    search_fields = ["description", "customer__name", "customer__user__email", "source_id"]
    list_select_related = ["customer", "invoice"]
    fields = readonly_fields = (
        "customer",
        "description",
        "description_ja",
        "amount",
        "currency",
        "incurred_on",
        "source_type",
        "source_id",
        "invoice",
        "created_at",
    )
