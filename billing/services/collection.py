"""Automatic collection: an unpaid invoice is charged to the customer's default card on its
due date at 09:00 (Tokyo), and again 3 and 7 days after the due date while it stays unpaid.

Each attempt is a ChargeAttempt row, scheduled before it is due; the run that sets its
`attempted_at` first makes it, so overlapping runs charge an attempt once. A charge goes
through `complete_payment` like a payment the customer makes, so its success is the same
PAYMENT_RECEIVED and the same paid invoice.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from billing.models import (
    ChargeAttempt,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentMethodType,
    PaymentStatus,
)
from billing.selectors import COLLECTION_TIME
from billing.services.dunning import ATTEMPT_DAYS
from billing.services.payments import complete_payment
from notifications.catalog import Money
from notifications.services.notify import notify
from portal.api_errors import ApplicationError
from portal.dates import TOKYO, tokyo_today

logger = logging.getLogger(__name__)

# An invoice that fell due this long ago without a first attempt (collection was off) is left
# to the customer and the reminders rather than charged late.
FIRST_ATTEMPT_WINDOW_DAYS = 2


def attempt_moment(*, due_date: date, number: int) -> datetime:
    """When attempt `number` (1, 2, 3) of an invoice due on `due_date` is made."""
    day = due_date + timedelta(days=ATTEMPT_DAYS[number - 1])
    return datetime.combine(day, COLLECTION_TIME, tzinfo=TOKYO)


def collect_payments(*, now: datetime) -> int:
    """Make the automatic charges due at `now`: first attempts and retries. Returns how many
    attempts were made; a second run for the same moment makes none."""
    _schedule_first_attempts(now=now)
    made = 0
    due = ChargeAttempt.objects.filter(
        attempted_at__isnull=True,
        scheduled_for__lte=now,
        invoice__status=InvoiceStatus.UNPAID,
    ).values_list("pk", flat=True)
    for attempt_id in list(due):
        if make_charge_attempt(attempt_id=attempt_id, now=now):
            made += 1
    # Attempts whose payment another process finished (the pending-payment sweep).
    for attempt_id in list(
        ChargeAttempt.objects.filter(
            settled_at__isnull=True, payment__isnull=False, payment__status__in=_FINAL
        ).values_list("pk", flat=True)
    ):
        settle_charge_attempt(attempt_id=attempt_id, now=now)
    return made


_FINAL = (PaymentStatus.SUCCEEDED, PaymentStatus.FAILED)


def _schedule_first_attempts(*, now: datetime) -> None:
    today = tokyo_today(now=now)
    # Before 09:00 today's invoices are not due for collection yet.
    latest_due = today
    if now < attempt_moment(due_date=today, number=1):
        latest_due = today - timedelta(days=1)
    bank_account_default = PaymentMethod.objects.filter(
        customer=OuterRef("customer"), is_default=True, type=PaymentMethodType.BANK_ACCOUNT
    )
    invoices = (
        Invoice.objects.filter(
            status=InvoiceStatus.UNPAID,
            due_date__lte=latest_due,
            due_date__gte=today - timedelta(days=FIRST_ATTEMPT_WINDOW_DAYS),
            total__gt=0,
        )
        .exclude(Exists(ChargeAttempt.objects.filter(invoice=OuterRef("pk"))))
        .exclude(Exists(bank_account_default))
        .values_list("pk", "due_date")
    )
    ChargeAttempt.objects.bulk_create(
        [
            ChargeAttempt(
                invoice_id=invoice_id,
                number=1,
                scheduled_for=attempt_moment(due_date=due_date, number=1),
                created_at=now,
            )
            for invoice_id, due_date in invoices
        ],
        ignore_conflicts=True,
    )


def make_charge_attempt(*, attempt_id: int, now: datetime) -> bool:
    """Make one attempt, unless another run has (False). A missing or expired card is a
    failed attempt with its reason, without asking the processor."""
    with transaction.atomic():
        attempt = (
            ChargeAttempt.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=attempt_id, attempted_at__isnull=True)
            .select_related("invoice")
            .first()
        )
        if attempt is None:
            return False
        attempt.attempted_at = now
        invoice = attempt.invoice
        method = PaymentMethod.objects.filter(
            customer_id=invoice.customer_id, is_default=True
        ).first()
        if invoice.status != InvoiceStatus.UNPAID:
            attempt.settled_at = now
            attempt.save(update_fields=["attempted_at", "settled_at"])
            return True
        if method is None or method.type != PaymentMethodType.CARD:
            attempt.failure_code = "no_card"
            attempt.failure_message = _("There is no card on your account to charge.")
        elif method.is_expired(today=invoice.due_date):
            attempt.failure_code = "card_expired"
            attempt.failure_message = _("The card on your account has expired.")
        elif Payment.objects.filter(invoice=invoice, status=PaymentStatus.PENDING).exists():
            # The customer is paying right now: that payment decides.
            attempt.settled_at = now
            attempt.save(update_fields=["attempted_at", "settled_at"])
            return True
        else:
            attempt.payment = Payment.objects.create(
                customer_id=invoice.customer_id,
                invoice=invoice,
                payment_method=method,
                method_description=str(method)[:80],
                idempotency_key=attempt.idempotency_key,
                amount=invoice.total,
                currency=invoice.currency,
                status=PaymentStatus.PENDING,
                created_at=now,
            )
        attempt.save(update_fields=["attempted_at", "payment", "failure_code", "failure_message"])
    if attempt.payment_id is not None:
        try:
            complete_payment(payment_id=attempt.payment_id, now=now)
        except ApplicationError:
            # The processor is unreachable: the payment stays pending, and the pending-payment
            # sweep finishes it with the same key; the next run settles the attempt.
            logger.warning("Automatic charge %s left pending", attempt.pk)
            return True
    settle_charge_attempt(attempt_id=attempt.pk, now=now)
    return True


def settle_charge_attempt(*, attempt_id: int, now: datetime) -> None:
    """Record an attempt's outcome once: a failure tells the customer and schedules the next
    attempt (if there is one left); a success needs nothing more (the invoice is paid)."""
    with transaction.atomic():
        attempt = (
            ChargeAttempt.objects.select_for_update(of=("self",))
            .select_related("invoice__customer__user", "payment")
            .get(pk=attempt_id)
        )
        if attempt.settled_at is not None or attempt.attempted_at is None:
            return
        payment = attempt.payment
        if payment is not None and payment.status == PaymentStatus.PENDING:
            return
        attempt.settled_at = now
        if payment is not None and payment.status == PaymentStatus.FAILED:
            attempt.failure_code = payment.failure_code
            attempt.failure_message = payment.failure_message
        attempt.save(update_fields=["settled_at", "failure_code", "failure_message"])
        invoice = attempt.invoice
        if not attempt.failure_code or invoice.status != InvoiceStatus.UNPAID:
            return
        if attempt.number < len(ATTEMPT_DAYS):
            following = attempt_moment(due_date=invoice.due_date, number=attempt.number + 1)
            if following <= now:
                # A late run: the next attempt waits for tomorrow's collection, never the same run.
                tomorrow = tokyo_today(now=now) + timedelta(days=1)
                following = attempt_moment(due_date=tomorrow, number=1)
            ChargeAttempt.objects.get_or_create(
                invoice=invoice,
                number=attempt.number + 1,
                defaults={"scheduled_for": following, "created_at": now},
            )
        notify(
            user=invoice.customer.user,
            type="PAYMENT_FAILED",
            source_id=f"{invoice.pk}:{attempt.number}",
            context={
                "invoice_number": invoice.number,
                "invoice_id": invoice.pk,
                "amount": Money(invoice.total, invoice.currency),
            },
            now=now,
        )
