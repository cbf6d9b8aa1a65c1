"""Read queries for invoices and payment methods, always scoped to one customer.

The local billing provider answers from these; services use them to find what they change.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import Customer
from billing.models import (
    PAID_PAYMENT_STATUSES,
    BillingRun,
    ChargeAttempt,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentMethodType,
    PaymentStatus,
    Refund,
)
from portal.dates import TOKYO
from portal.pagination import Page, paginate
from portal.statements import Statement, Values
from subscriptions.models import Subscription, SubscriptionStatus

# Services in these states are billed (or will be again), so they need a way to pay.
BILLED_SUBSCRIPTION_STATUSES = (
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.CANCELLATION_SCHEDULED,
    SubscriptionStatus.SUSPENDED,
)

HISTORY_STATUSES = frozenset({InvoiceStatus.PAID, InvoiceStatus.CANCELLED, InvoiceStatus.REFUNDED})


def list_invoices(
    *,
    customer: Customer,
    statuses: Collection[str] | None = None,
    limit: int,
    cursor: str | None = None,
) -> Page[Invoice]:
    """One page of the customer's invoices, optionally only those in `statuses`.

    A list of unpaid invoices only comes soonest due first, so overdue ones lead; every
    other list comes newest issued first.
    """
    invoices = Invoice.objects.filter(customer=customer)
    if statuses is not None:
        invoices = invoices.filter(status__in=list(statuses))
    if statuses is not None and set(statuses) == {InvoiceStatus.UNPAID}:
        return paginate(
            invoices, order_field="due_date", limit=limit, cursor=cursor, descending=False
        )
    return paginate(invoices, order_field="issued_on", limit=limit, cursor=cursor)


def get_invoice_for_customer(*, customer: Customer, invoice_id: int) -> Invoice:
    """The invoice with its lines; Http404 when it is not this customer's."""
    invoice = (
        Invoice.objects.filter(customer=customer, pk=invoice_id).prefetch_related("lines").first()
    )
    if invoice is None:
        raise Http404("No such invoice.")
    return invoice


def list_payment_methods(*, customer: Customer) -> list[PaymentMethod]:
    """The default method first, then the others in the order they were added."""
    return list(PaymentMethod.objects.filter(customer=customer))


def get_default_payment_method(*, customer: Customer) -> PaymentMethod | None:
    """The method an order or an invoice is charged to unless the customer picks another."""
    return PaymentMethod.objects.filter(customer=customer).order_by("-is_default", "pk").first()


def _payment_method_count_query(shape: None, values: Values) -> QuerySet[Any]:
    methods = PaymentMethod.objects.filter(customer_id=values["customer_id"])
    return methods.order_by().values("customer_id").annotate(n=Count("pk")).values("n")


# Read on every dashboard: compiled once (portal/statements.py).
PAYMENT_METHOD_COUNT = Statement(
    _payment_method_count_query,
    probes=({"customer_id": -987_654_501}, {"customer_id": -987_654_511}),
)


def count_payment_methods(*, customer: Customer) -> int:
    _, rows = PAYMENT_METHOD_COUNT.fetch(None, {"customer_id": customer.pk})
    return int(rows[0][0]) if rows else 0


def get_payment_method_for_customer(*, customer: Customer, payment_method_id: int) -> PaymentMethod:
    """Http404 when the payment method is not this customer's."""
    method = PaymentMethod.objects.filter(customer=customer, pk=payment_method_id).first()
    if method is None:
        raise Http404("No such payment method.")
    return method


def customer_requires_payment_method(*, customer: Customer) -> bool:
    """True while the customer has a service we bill, so their last method must stay."""
    return customer.subscriptions.filter(status__in=BILLED_SUBSCRIPTION_STATUSES).exists()


def get_paid_payment_for_customer(*, customer: Customer, payment_id: int) -> Payment:
    """A succeeded payment with its invoice; Http404 when it is not this customer's (or
    was never completed: only a payment made has a receipt)."""
    payment = (
        Payment.objects.filter(customer=customer, pk=payment_id, status__in=PAID_PAYMENT_STATUSES)
        .select_related("invoice", "customer")
        .prefetch_related("invoice__lines")
        .first()
    )
    if payment is None:
        raise Http404("No such payment.")
    return payment


def get_succeeded_payment(*, invoice: Invoice) -> Payment | None:
    """The payment that paid the invoice through the portal, if one did."""
    return Payment.objects.filter(invoice=invoice, status__in=PAID_PAYMENT_STATUSES).first()


def list_pending_payment_ids(*, started_before: datetime, limit: int = 500) -> list[int]:
    """Payments still pending since before `started_before`: work a crash left unfinished.

    `billing.services.payments.complete_payment` finishes each one (safe to repeat).
    """
    return list(
        Payment.objects.filter(status=PaymentStatus.PENDING, created_at__lt=started_before)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )


def latest_billing_runs(*, limit: int = 3) -> list[BillingRun]:
    """The newest billing runs, newest month first: what staff see on the admin home."""
    return list(BillingRun.objects.order_by("-period_start")[:limit])


def list_payments(*, customer: Customer, limit: int, cursor: str | None = None) -> Page[Payment]:
    """One page of the customer's payments, newest first, with their refunds and methods."""
    payments = (
        Payment.objects.filter(customer=customer)
        .select_related("invoice", "payment_method")
        .prefetch_related("refunds")
    )
    return paginate(payments, order_field="created_at", limit=limit, cursor=cursor)


def get_refund_for_customer(*, customer: Customer, refund_id: int) -> Refund:
    """A refund with its payment and invoice; Http404 when it is not this customer's."""
    refund = (
        Refund.objects.filter(payment__customer=customer, pk=refund_id)
        .select_related("payment__invoice__customer", "payment__customer")
        .prefetch_related("payment__invoice__lines")
        .first()
    )
    if refund is None:
        raise Http404("No such refund.")
    return refund


def suspends_on(*, due_date: date) -> date:
    """The day an invoice still unpaid suspends the customer's services."""
    return due_date + timedelta(days=settings.SUSPEND_AFTER_DAYS)


def get_invoice_detail_for_customer(*, customer: Customer, invoice_id: int) -> Invoice:
    """get_invoice_for_customer with what its automatic charges and suspension date need,
    in the same statement (`get_auto_charge`, `get_suspends_on` read these)."""
    attempts = ChargeAttempt.objects.filter(invoice=OuterRef("pk"))
    made = attempts.filter(attempted_at__isnull=False)
    invoice = (
        Invoice.objects.filter(customer=customer, pk=invoice_id)
        .annotate(
            attempts_made=Coalesce(
                Subquery(made.values("invoice").annotate(n=Count("pk")).values("n")[:1]), 0
            ),
            next_attempt_at=Subquery(
                attempts.filter(attempted_at__isnull=True)
                .order_by("number")
                .values("scheduled_for")[:1]
            ),
            last_failure=Subquery(
                made.exclude(failure_message="").order_by("-number").values("failure_message")[:1]
            ),
            charges_a_card=Exists(
                PaymentMethod.objects.filter(
                    customer=OuterRef("customer"), is_default=True, type=PaymentMethodType.CARD
                )
            ),
            has_running_service=Exists(
                Subscription.objects.filter(
                    customer=OuterRef("customer"),
                    status__in=(
                        SubscriptionStatus.ACTIVE,
                        SubscriptionStatus.CANCELLATION_SCHEDULED,
                    ),
                )
            ),
        )
        .prefetch_related("lines")
        .first()
    )
    if invoice is None:
        raise Http404("No such invoice.")
    return invoice


def _annotation(invoice: Invoice, name: str) -> Any:
    return getattr(invoice, name)


def get_suspends_on(*, invoice: Invoice) -> date | None:
    """The day this invoice, unpaid, suspends its customer's services; None when it is paid
    or there is no running service to suspend. `invoice` comes from
    get_invoice_detail_for_customer."""
    if invoice.status != InvoiceStatus.UNPAID or not _annotation(invoice, "has_running_service"):
        return None
    return suspends_on(due_date=invoice.due_date)


@dataclass(frozen=True)
class AutoCharge:
    next_attempt_at: datetime | None
    attempts: int
    # In the active language.
    last_failure: str | None


# When automatic charges are made (billing.services.collection).
COLLECTION_TIME = time(9, 0)


def get_auto_charge(*, invoice: Invoice, now: datetime) -> AutoCharge | None:
    """The automatic charges of an invoice (billing.services.collection): how many were made,
    the next one; None when there are none and none is planned (paid, or no card to charge).
    `invoice` comes from get_invoice_detail_for_customer."""
    made: int = _annotation(invoice, "attempts_made")
    next_at: datetime | None = _annotation(invoice, "next_attempt_at")
    if invoice.status != InvoiceStatus.UNPAID:
        next_at = None
    elif made == 0 and next_at is None:
        first = datetime.combine(invoice.due_date, COLLECTION_TIME, tzinfo=TOKYO)
        if first < now or not _annotation(invoice, "charges_a_card"):
            return None
        next_at = first
    if made == 0 and next_at is None:
        return None
    failure: str | None = _annotation(invoice, "last_failure")
    return AutoCharge(
        next_attempt_at=next_at, attempts=made, last_failure=_(failure) if failure else None
    )
