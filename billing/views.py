"""The billing pages: /account/billing/invoices and /account/billing/payment-methods."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Customer
from accounts.selectors import get_customer_for_user
from billing import documents, providers, selectors
from billing.api import pdf_response
from billing.forms import AddPaymentMethodForm, InvoiceFilterForm, PayInvoiceForm
from billing.models import PAID_PAYMENT_STATUSES, Invoice, InvoiceStatus
from billing.processor import get_payment_processor
from billing.providers import BillingUnavailable, PaymentMethodInfo
from billing.services import payment_methods as payment_method_services
from billing.services import payments
from portal.api_errors import ApplicationError
from portal.dates import tokyo_today
from portal.formats import format_money

PAGE_SIZE = 20


@dataclass(frozen=True)
class InvoiceRow:
    invoice: Invoice
    days_overdue: int

    @property
    def overdue(self) -> bool:
        return self.days_overdue > 0


def _rows(invoices: list[Invoice], today: date) -> list[InvoiceRow]:
    return [
        InvoiceRow(
            invoice=invoice,
            days_overdue=(today - invoice.due_date).days if invoice.is_overdue(today=today) else 0,
        )
        for invoice in invoices
    ]


@login_required
@require_GET
def invoice_list(request: HttpRequest) -> HttpResponse:
    """Invoices to pay first (overdue ones leading), then the history, newest first."""
    customer = get_customer_for_user(user=request.user)
    form = InvoiceFilterForm(request.GET)
    if not form.is_valid():
        messages.error(request, _("That filter does not exist. Here are all your invoices."))
        return redirect("billing-invoices")
    status, cursor = form.cleaned_data["status"], form.cleaned_data["cursor"] or None
    today = tokyo_today()
    context: dict[str, Any] = {"status": status, "statuses": InvoiceStatus.choices}
    try:
        if status:
            page = selectors.list_invoices(
                customer=customer, statuses={status}, limit=PAGE_SIZE, cursor=cursor
            )
            context["filtered"] = _rows(page.items, today)
            context["status_label"] = InvoiceStatus(status).label
        else:
            if cursor is None:
                to_pay = selectors.list_invoices(
                    customer=customer, statuses={InvoiceStatus.UNPAID}, limit=PAGE_SIZE
                )
                context["to_pay"] = _rows(to_pay.items, today)
                context["more_to_pay"] = to_pay.next_cursor is not None
            page = selectors.list_invoices(
                customer=customer,
                statuses=selectors.HISTORY_STATUSES,
                limit=PAGE_SIZE,
                cursor=cursor,
            )
            context["history"] = _rows(page.items, today)
    except ApplicationError:
        messages.error(request, _("That page of invoices no longer exists. Here is the first."))
        return redirect("billing-invoices")
    context.update(next_cursor=page.next_cursor, cursor=cursor)
    return render(request, "billing/invoice_list.html", context)


@login_required
@require_GET
def invoice_detail(request: HttpRequest, invoice_id: int) -> HttpResponse:
    customer = get_customer_for_user(user=request.user)
    invoice = selectors.get_invoice_for_customer(customer=customer, invoice_id=invoice_id)
    (row,) = _rows([invoice], tokyo_today())
    return render(
        request,
        "billing/invoice_detail.html",
        {
            "row": row,
            "invoice": invoice,
            "payment": selectors.get_succeeded_payment(invoice=invoice),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def pay_invoice(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """Confirm the amount and the card, then pay; the form's key makes a double submit one."""
    customer = get_customer_for_user(user=request.user)
    invoice = selectors.get_invoice_for_customer(customer=customer, invoice_id=invoice_id)
    if invoice.status != InvoiceStatus.UNPAID:
        messages.info(request, _("This invoice does not need paying."))
        return redirect("billing-invoice", invoice_id=invoice.pk)
    methods = selectors.list_payment_methods(customer=customer)
    form = PayInvoiceForm(request.POST or None, methods=methods)
    error_message = ""
    if request.method == "POST" and form.is_valid():
        try:
            payment = payments.pay_invoice(
                customer=customer,
                invoice_id=invoice.pk,
                idempotency_key=form.cleaned_data["key"],
                payment_method_id=int(form.cleaned_data["payment_method"]),
            )
        except ApplicationError as error:
            if error.code == "invoice_already_paid":
                messages.info(request, error.message)
                return redirect("billing-invoice", invoice_id=invoice.pk)
            error_message = error.message
            # A new attempt (another card, or the same one again) needs a new key.
            form = PayInvoiceForm(
                None,
                methods=methods,
                initial={"payment_method": form.cleaned_data["payment_method"]},
            )
        else:
            messages.success(
                request,
                _("Thank you. We received %(amount)s for invoice %(number)s.")
                % {
                    "amount": format_money(payment.amount, payment.currency),
                    "number": invoice.number,
                },
            )
            return redirect("billing-invoice", invoice_id=invoice.pk)
    (row,) = _rows([invoice], tokyo_today())
    return render(
        request,
        "billing/pay.html",
        {
            "invoice": invoice,
            "row": row,
            "form": form,
            "methods": methods,
            "error_message": error_message,
        },
    )


@dataclass(frozen=True)
class PaymentMethodRow:
    method: PaymentMethodInfo
    expired: bool
    expires_soon: bool


def _payment_methods_context(customer: Customer) -> dict[str, Any]:
    today = tokyo_today()
    try:
        methods = providers.list_payment_methods(customer=customer)
    except BillingUnavailable as unavailable:
        # The page still offers to add a method; the list says why it is missing.
        return {"rows": [], "billing_unavailable": unavailable.message}
    return {
        "rows": [
            PaymentMethodRow(
                method=method,
                expired=method.is_expired(today=today),
                expires_soon=method.expires_soon(today=today),
            )
            for method in methods
        ],
        # The same rule the removal service applies, so the page explains it up front.
        "last_method_required": len(methods) == 1
        and selectors.customer_requires_payment_method(customer=customer),
    }


def _render_payment_methods(request: HttpRequest, customer: Customer) -> HttpResponse:
    return render(request, "billing/payment_methods.html", _payment_methods_context(customer))


def _after_change(request: HttpRequest, customer: Customer) -> HttpResponse:
    """htmx swaps the list in place (with its message); without JavaScript, redirect."""
    if request.htmx:  # type: ignore[attr-defined]
        return render(
            request, "billing/_payment_method_list.html", _payment_methods_context(customer)
        )
    return redirect("billing-payment-methods")


@login_required
@require_GET
def payment_methods(request: HttpRequest) -> HttpResponse:
    customer = get_customer_for_user(user=request.user)
    return _render_payment_methods(request, customer)


# The session key of the `state` that ties the processor's answer to the form we sent to.
CARD_FORM_STATE = "billing_card_form_state"


def _add_token(request: HttpRequest, customer: Customer, token: str) -> HttpResponse:
    try:
        added = payment_method_services.add_payment_method(customer=customer, token=token)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("billing-payment-methods")
    method = added.payment_method
    if not added.created:
        # The same card (number and expiry) again: refused, so nobody thinks a second was saved.
        messages.error(
            request,
            _("%(method)s is already one of your payment methods. Nothing was added.")
            % {"method": method},
        )
    elif method.is_default:
        messages.success(
            request,
            _("%(method)s is added and is now your default payment method.") % {"method": method},
        )
    else:
        messages.success(request, _("%(method)s is added.") % {"method": method})
    return redirect("billing-payment-methods")


@sensitive_post_parameters("token")
@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def add_payment_method(request: HttpRequest) -> HttpResponse:
    """Add a card through the processor's own card form; the portal only sees its token.

    GET without a token sends the browser to the processor's form with a fresh `state`;
    the processor sends it back here with `token` and that state, and the card is added
    (the state proves the answer belongs to the form this customer opened, so a link to
    this URL from elsewhere adds nothing). POST `token` adds a token directly, as the API
    does.
    """
    customer = get_customer_for_user(user=request.user)
    if request.method == "POST":
        form = AddPaymentMethodForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("The payment processor sent no token. Add the card again."))
            return redirect("billing-payment-methods")
        return _add_token(request, customer, form.cleaned_data["token"])

    state = request.GET.get("state")
    expected = request.session.get(CARD_FORM_STATE, "")
    answered = "token" in request.GET or "cancelled" in request.GET
    if answered and not (state and expected and secrets.compare_digest(state, expected)):
        messages.error(
            request, _("That card form was not opened from this page. Add the card again.")
        )
        return redirect("billing-payment-methods")
    if "cancelled" in request.GET:
        messages.info(request, _("No card was added."))
        return redirect("billing-payment-methods")
    token = request.GET.get("token", "")
    if answered:
        return _add_token(request, customer, token)
    state = secrets.token_urlsafe(24)
    request.session[CARD_FORM_STATE] = state
    return_url = request.build_absolute_uri(reverse("billing-payment-method-add"))
    return redirect(get_payment_processor().card_form_url(return_url=return_url, state=state))


# The confirmation's button sends this; a POST without it only asks, so no card is removed
# in one click (a form from an old page, a double click on the list's link).
CONFIRM_FIELD = "confirm"


@login_required
@require_http_methods(["GET", "POST"])
def remove_payment_method(request: HttpRequest, payment_method_id: int) -> HttpResponse:
    """GET asks "Remove ...?" with a POST form; only that form's POST removes the method."""
    customer = get_customer_for_user(user=request.user)
    method = selectors.get_payment_method_for_customer(
        customer=customer, payment_method_id=payment_method_id
    )
    if request.method == "POST" and request.POST.get(CONFIRM_FIELD) == "yes":
        try:
            removed = payment_method_services.remove_payment_method(
                customer=customer, payment_method_id=payment_method_id
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("%(method)s is removed.") % {"method": removed})
        return _after_change(request, customer)
    others = selectors.count_payment_methods(customer=customer) - 1
    return render(
        request,
        "billing/remove_payment_method.html",
        {
            "method": method,
            "others": others,
            # The rule the removal applies, so the page says so instead of offering the button.
            "last_method_required": others == 0
            and selectors.customer_requires_payment_method(customer=customer),
        },
    )


@login_required
@require_POST
def make_default_payment_method(request: HttpRequest, payment_method_id: int) -> HttpResponse:
    customer = get_customer_for_user(user=request.user)
    method = payment_method_services.set_default_payment_method(
        customer=customer, payment_method_id=payment_method_id
    )
    messages.success(
        request, _("%(method)s is now your default payment method.") % {"method": method}
    )
    return _after_change(request, customer)


@login_required
@require_GET
def billing_home(request: HttpRequest) -> HttpResponse:
    return redirect("billing-invoices")


@login_required
@require_GET
def invoice_pdf(request: HttpRequest, invoice_id: int) -> HttpResponse:
    customer = get_customer_for_user(user=request.user)
    invoice = selectors.get_invoice_for_customer(customer=customer, invoice_id=invoice_id)
    content = documents.render_invoice_pdf(invoice=invoice, language=customer.language)
    return pdf_response(content, filename=f"{invoice.number}.pdf")


@login_required
@require_GET
def payment_receipt(request: HttpRequest, payment_id: int) -> HttpResponse:
    customer = get_customer_for_user(user=request.user)
    payment = selectors.get_paid_payment_for_customer(customer=customer, payment_id=payment_id)
    content = documents.render_receipt_pdf(payment=payment, language=customer.language)
    return pdf_response(content, filename=f"{payment.receipt_number}.pdf")


@login_required
@require_GET
def payment_history(request: HttpRequest) -> HttpResponse:
    """Every payment, newest first, with its refunds, receipt and credit notes."""
    customer = get_customer_for_user(user=request.user)
    cursor = request.GET.get("cursor") or None
    try:
        page = selectors.list_payments(customer=customer, limit=PAGE_SIZE, cursor=cursor)
    except ApplicationError:
        messages.error(request, _("That page of payments no longer exists. Here is the first."))
        return redirect("billing-payments")
    return render(
        request,
        "billing/payment_history.html",
        {
            "payments": page.items,
            "paid_statuses": PAID_PAYMENT_STATUSES,
            "cursor": cursor,
            "next_cursor": page.next_cursor,
        },
    )


@login_required
@require_GET
def refund_credit_note(request: HttpRequest, refund_id: int) -> HttpResponse:
    customer = get_customer_for_user(user=request.user)
    refund = selectors.get_refund_for_customer(customer=customer, refund_id=refund_id)
    content = documents.render_credit_note_pdf(refund=refund, language=customer.language)
    return pdf_response(content, filename=f"{refund.credit_note_number}.pdf")
