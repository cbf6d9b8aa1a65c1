"""The billing run: on the 1st of each month, one invoice per customer for the month before.

Each subscription is billed for the days it ran that month, one line per segment, by the
rules of `billing.services.invoice_rules`; unbilled one-time charges (an order's initial
fee) join the same invoice. Issued on the 1st, due on the 27th (DESIGN.md section 12).

The run walks customers by id in chunks, one transaction each: the invoices of a chunk,
their numbers, lines, notifications and the run's cursor commit together or not at all.
So a run repeated, overlapping another or killed halfway bills no one twice, and the next
run (or the sweep, billing.sweeps) carries on from the last chunk that committed. One
invoice per customer and month is also a database constraint.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery

from accounts.models import Customer
from billing.models import (
    BillingRun,
    BillingRunStatus,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    UnbilledCharge,
)
from billing.services.invoice_rules import (
    DraftLine,
    Period,
    billing_period,
    segment_line,
    subscription_segments,
    tax_included,
)
from billing.services.numbering import take_invoice_numbers
from notifications.catalog import Money
from notifications.services.notify import notify
from portal.dates import start_of_day
from subscriptions.models import (
    CancellationRequest,
    CancellationStatus,
    Subscription,
    SubscriptionStatus,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunOutcome:
    run: BillingRun
    # Invoices this call issued (the run's own count covers every call that worked on it).
    invoices_created: int


def run_billing(*, now: datetime, chunk_size: int | None = None) -> RunOutcome:
    """Bill the month before `now` (Tokyo): start its run, or carry on with it; for a
    completed run there is nothing left to do."""
    period = billing_period(now=now)
    run, created = BillingRun.objects.get_or_create(
        period_start=period.start,
        defaults={"started_at": now, "customers_total": Customer.objects.count()},
    )
    if created:
        logger.info("Billing run for %s started", period.start)
    return _walk(run_id=run.pk, period=period, now=now, chunk_size=chunk_size)


def resume_billing_run(
    *, run_id: int, now: datetime, chunk_size: int | None = None
) -> RunOutcome | None:
    """Carry on with a run that stopped halfway (the sweep's task); None when it is gone."""
    run = BillingRun.objects.filter(pk=run_id).first()
    if run is None:
        return None
    period = Period.of_month(run.period_start.year, run.period_start.month)
    return _walk(run_id=run.pk, period=period, now=now, chunk_size=chunk_size)


def _walk(*, run_id: int, period: Period, now: datetime, chunk_size: int | None) -> RunOutcome:
    size = chunk_size or settings.BILLING_RUN_CHUNK_SIZE
    issued = 0
    while True:
        run, created = bill_next_chunk(run_id=run_id, period=period, now=now, chunk_size=size)
        issued += created
        if run.status == BillingRunStatus.COMPLETED:
            return RunOutcome(run=run, invoices_created=issued)


def bill_next_chunk(
    *, run_id: int, period: Period, now: datetime, chunk_size: int
) -> tuple[BillingRun, int]:
    """Bill the next `chunk_size` customers of a run in one transaction: the run, moved on,
    and how many invoices the chunk issued.

    The run's row lock makes overlapping runs take chunks in turn, each reading the
    cursor the one before committed.
    """
    with transaction.atomic():
        run = BillingRun.objects.select_for_update().get(pk=run_id)
        if run.status == BillingRunStatus.COMPLETED:
            return run, 0
        customer_ids = list(
            Customer.objects.filter(pk__gt=run.last_customer_id)
            .order_by("pk")
            .values_list("pk", flat=True)[:chunk_size]
        )
        if not customer_ids:
            run.status = BillingRunStatus.COMPLETED
            run.finished_at = now
            run.customers_total = max(run.customers_total, run.customers_done)
            run.save(update_fields=["status", "finished_at", "customers_total", "updated_at"])
            logger.info(
                "Billing run for %s completed: %d invoices", period.start, run.invoices_created
            )
            return run, 0
        created = _bill_customers(
            first_id=customer_ids[0], last_id=customer_ids[-1], period=period, now=now
        )
        run.last_customer_id = customer_ids[-1]
        run.customers_done += len(customer_ids)
        run.invoices_created += created
        run.save(
            update_fields=["last_customer_id", "customers_done", "invoices_created", "updated_at"]
        )
    return run, created


@dataclass
class _Draft:
    customer_id: int
    lines: list[DraftLine]
    charges: list[UnbilledCharge]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


def _billed_subscriptions(*, first_id: int, last_id: int, period: Period) -> list[Subscription]:
    """Subscriptions of the customers in [first_id, last_id] that ran some of `period`."""
    scheduled_end = CancellationRequest.objects.filter(
        subscription=OuterRef("pk"), status=CancellationStatus.SCHEDULED
    ).values("effective_on")[:1]
    return list(
        Subscription.objects.filter(
            customer_id__gte=first_id,
            customer_id__lte=last_id,
            activated_at__lt=start_of_day(period.issued_on),
        )
        .filter(Q(cancelled_at__isnull=True) | Q(cancelled_at__gt=start_of_day(period.start)))
        # Cancelled without saying when: nothing to bill it for.
        .exclude(status=SubscriptionStatus.CANCELLED, cancelled_at__isnull=True)
        .annotate(scheduled_end=Subquery(scheduled_end))
        .select_related("plan")
        .order_by("customer_id", "activated_at", "pk")
    )


def _drafts(*, first_id: int, last_id: int, period: Period) -> list[_Draft]:
    """The invoice each customer of the chunk gets: those already billed for the period,
    and those with nothing to pay, get none."""
    already = set(
        Invoice.objects.filter(
            kind=InvoiceKind.MONTHLY,
            period_start=period.start,
            customer_id__gte=first_id,
            customer_id__lte=last_id,
        ).values_list("customer_id", flat=True)
    )
    drafts: dict[int, _Draft] = {}

    def draft(customer_id: int) -> _Draft:
        if customer_id not in drafts:
            drafts[customer_id] = _Draft(customer_id=customer_id, lines=[], charges=[])
        return drafts[customer_id]

    for subscription in _billed_subscriptions(first_id=first_id, last_id=last_id, period=period):
        if subscription.customer_id in already:
            continue
        segments = subscription_segments(
            subscription,
            period=period,
            scheduled_end=subscription.scheduled_end,  # type: ignore[attr-defined]
        )
        for segment in segments:
            draft(subscription.customer_id).lines.append(segment_line(segment, period=period))
    charges = UnbilledCharge.objects.filter(
        customer_id__gte=first_id,
        customer_id__lte=last_id,
        invoice__isnull=True,
        incurred_on__lte=period.end,
    ).order_by("customer_id", "incurred_on", "pk")
    for charge in charges:
        if charge.customer_id in already:
            continue
        billed = draft(charge.customer_id)
        billed.lines.append(DraftLine(charge.description, charge.description_ja, charge.amount))
        billed.charges.append(charge)
    return [billed for billed in drafts.values() if billed.total > 0]


def _bill_customers(*, first_id: int, last_id: int, period: Period, now: datetime) -> int:
    """Issue the chunk's invoices, inside the caller's transaction; returns how many."""
    drafts = _drafts(first_id=first_id, last_id=last_id, period=period)
    if not drafts:
        return 0
    numbers = take_invoice_numbers(year=period.issued_on.year, count=len(drafts))
    invoices = Invoice.objects.bulk_create(
        Invoice(
            customer_id=billed.customer_id,
            number=number,
            kind=InvoiceKind.MONTHLY,
            period_start=period.start,
            period_end=period.end,
            issued_on=period.issued_on,
            due_date=period.due_date,
            total=billed.total,
            tax=tax_included(billed.total),
            status=InvoiceStatus.UNPAID,
        )
        for billed, number in zip(drafts, numbers, strict=True)
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            description=line.description,
            description_ja=line.description_ja,
            amount=line.amount,
            position=position,
        )
        for invoice, billed in zip(invoices, drafts, strict=True)
        for position, line in enumerate(billed.lines)
    )
    charges = []
    for invoice, billed in zip(invoices, drafts, strict=True):
        for charge in billed.charges:
            charge.invoice = invoice
            charges.append(charge)
    UnbilledCharge.objects.bulk_update(charges, ["invoice"])
    _announce(invoices, period=period, now=now)
    return len(invoices)


def _announce(invoices: list[Invoice], *, period: Period, now: datetime) -> None:
    """INVOICE_ISSUED for each new invoice, in the same transaction: it exists exactly when
    its invoice does (emailed by the customer's preferences, as every notification)."""
    users = {
        customer.pk: customer.user
        for customer in Customer.objects.filter(
            pk__in=[invoice.customer_id for invoice in invoices]
        ).select_related("user")
    }
    for invoice in invoices:
        notify(
            user=users[invoice.customer_id],
            type="INVOICE_ISSUED",
            source_id=invoice.pk,
            context={
                "invoice_id": invoice.pk,
                "invoice_number": invoice.number,
                "period": period.names,
                "amount": Money(invoice.total, invoice.currency),
                "due_date": invoice.due_date,
            },
            now=now,
        )
