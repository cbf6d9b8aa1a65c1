"""Refunds: staff give back part or all of a payment through the processor, once per key."""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from uuid import uuid4

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from billing.models import Invoice, InvoiceStatus, Payment, PaymentStatus, Refund
from billing.processor import get_payment_processor
from notifications.catalog import Money
from notifications.services.notify import notify
from portal.api_errors import ApplicationError
from portal.formats import format_money
from staff.models import StaffActionType
from staff.services import record_staff_action

logger = logging.getLogger(__name__)

REFUNDABLE_STATUSES = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED)
IDEMPOTENCY_KEY_MAX_LENGTH = 255


def _field_error(field: str, message: str) -> ApplicationError:
    return ApplicationError("validation_error", message, fields={field: [message]})


def refunded_total(*, payment: Payment) -> Decimal:
    return payment.refunds.aggregate(total=Sum("amount"))["total"] or Decimal("0")


def refund_payment(
    *,
    payment_id: int,
    amount: Decimal,
    reason: str,
    actor: User,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> Refund:
    """Refund `amount` (whole yen, 1 to what is left) of a payment made, through the processor.

    The same key again gives the same refund and refunds nothing more (a double click). The
    payment's row lock serialises refunds of one payment, so however many run at once they
    never add up to more than was paid. The payment becomes `partially_refunded` or
    `refunded`; its invoice becomes `refunded` when all it was paid is given back.
    """
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise _field_error("reason", _("Say why the payment is refunded."))
    key = (idempotency_key or "").strip() or f"refund-{payment_id}-{uuid4().hex}"
    if len(key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        raise _field_error(
            "idempotency_key",
            _("The Idempotency-Key may be at most %(max)d characters long.")
            % {"max": IDEMPOTENCY_KEY_MAX_LENGTH},
        )
    if amount != amount.to_integral_value() or amount < 1:
        raise _field_error("amount", _("Refund a whole number of yen, at least ¥1."))
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("invoice", "customer__user")
            .get(pk=payment_id)
        )
        existing = Refund.objects.filter(idempotency_key=key).first()
        if existing is not None:
            if existing.payment_id != payment.pk:
                raise _field_error(
                    "idempotency_key", _("This key was already used for another refund.")
                )
            return existing
        if payment.status not in REFUNDABLE_STATUSES:
            raise ApplicationError(
                "payment_not_refundable",
                _("Payment %(id)s is %(status)s and cannot be refunded.")
                % {"id": payment.pk, "status": payment.get_status_display()},
            )
        left = payment.amount - refunded_total(payment=payment)
        if amount > left:
            raise _field_error(
                "amount",
                _("At most %(left)s is left to refund on this payment.")
                % {"left": format_money(left, payment.currency)},
            )
        try:
            # Made under the row lock, as a charge is: a second caller sees the outcome.
            made = get_payment_processor().refund(
                charge_reference=payment.processor_reference,
                amount=amount,
                idempotency_key=key,
            )
        except Exception as error:
            logger.exception("Payment processor failed to refund payment %s", payment.pk)
            raise ApplicationError(
                "billing_unavailable",
                _(
                    "We could not reach our payment processor. Nothing was refunded: try "
                    "again in a few minutes."
                ),
            ) from error
        refund = Refund.objects.create(
            payment=payment,
            amount=amount,
            currency=payment.currency,
            reason=reason,
            actor=actor,
            idempotency_key=key,
            processor_reference=made.reference[:64],
            created_at=now,
        )
        wholly = amount == left
        payment.status = PaymentStatus.REFUNDED if wholly else PaymentStatus.PARTIALLY_REFUNDED
        payment.save(update_fields=["status"])
        _mark_invoice_refunded_when_all_given_back(payment.invoice)
        record_staff_action(
            actor=actor,
            action=StaffActionType.PAYMENT_REFUNDED,
            customer=payment.customer,
            subject=payment,
            subject_label=f"{payment.invoice.number} {payment.receipt_number}",
            reason=reason,
            details={
                "refund_id": refund.pk,
                "amount": str(amount),
                "processor_reference": refund.processor_reference,
            },
            now=now,
        )
        notify(
            user=payment.customer.user,
            type="REFUND_ISSUED",
            source_id=refund.pk,
            context={
                "invoice_number": payment.invoice.number,
                "invoice_id": payment.invoice_id,
                "amount": Money(amount, payment.currency),
            },
            now=now,
        )
    return refund


def _mark_invoice_refunded_when_all_given_back(invoice: Invoice) -> None:
    given_back = Refund.objects.filter(payment__invoice=invoice).aggregate(total=Sum("amount"))[
        "total"
    ] or Decimal("0")
    if given_back >= invoice.total and invoice.status == InvoiceStatus.PAID:
        invoice.status = InvoiceStatus.REFUNDED
        invoice.save(update_fields=["status"])
