"""What happens to an invoice besides an online payment: marked paid (by a payment or by
support) and cancelled by support; either settles its reminders."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from billing.models import Invoice, InvoiceStatus
from billing.services.dunning import settle_paid_invoice
from notifications.services.notify import retire_notifications
from portal.api_errors import ApplicationError
from staff.models import StaffActionType
from staff.services import record_staff_action


def mark_invoice_paid(
    *, invoice_id: int, paid_at: datetime | None = None, actor: User | None = None
) -> Invoice:
    """Record that an unpaid invoice was paid; an invoice already paid is left as it is.

    Cancelled and refunded invoices cannot be paid (`invoice_not_payable`). A staff
    member (`actor`) marking it is logged.
    """
    with transaction.atomic():
        invoice = _lock_invoice(invoice_id)
        if invoice.status == InvoiceStatus.PAID:
            return invoice
        if invoice.status != InvoiceStatus.UNPAID:
            raise ApplicationError(
                "invoice_not_payable",
                _("Invoice %(number)s is %(status)s and cannot be paid.")
                % {"number": invoice.number, "status": invoice.get_status_display()},
            )
        invoice.status = InvoiceStatus.PAID
        invoice.paid_at = paid_at or timezone.now()
        invoice.save(update_fields=["status", "paid_at"])
        # However it was paid (online, by transfer, marked by support), its reminders are settled.
        _retire_reminders(invoice)
        # Every path that pays an invoice comes here: retries stop, services come back.
        settle_paid_invoice(invoice=invoice, now=invoice.paid_at)
        if actor is not None:
            record_staff_action(
                actor=actor,
                action=StaffActionType.INVOICE_PAID,
                customer=invoice.customer,
                subject=invoice,
                subject_label=invoice.number,
                now=timezone.now(),
            )
    return invoice


def _lock_invoice(invoice_id: int) -> Invoice:
    """The invoice, its row locked until the transaction ends (its customer read along)."""
    return (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("customer")
        .get(pk=invoice_id)
    )


def _retire_reminders(invoice: Invoice) -> None:
    for type in ("INVOICE_DUE", "INVOICE_ISSUED"):
        retire_notifications(user_id=invoice.customer.user_id, type=type, source_id=invoice.pk)


def cancel_invoice(*, invoice_id: int, reason: str, actor: User, now: datetime) -> Invoice:
    """Support cancels an unpaid invoice (billed in error); cancelling twice changes nothing.

    A paid or refunded invoice cannot be cancelled (`invoice_not_cancellable`).
    """
    reason = reason.strip()
    if not reason:
        message = _("Say why the invoice is cancelled.")
        raise ApplicationError("validation_error", message, fields={"reason": [message]})
    with transaction.atomic():
        invoice = _lock_invoice(invoice_id)
        if invoice.status == InvoiceStatus.CANCELLED:
            return invoice
        if invoice.status != InvoiceStatus.UNPAID:
            raise ApplicationError(
                "invoice_not_cancellable",
                _("Invoice %(number)s is %(status)s and cannot be cancelled.")
                % {"number": invoice.number, "status": invoice.get_status_display()},
            )
        invoice.status = InvoiceStatus.CANCELLED
        invoice.save(update_fields=["status"])
        _retire_reminders(invoice)
        record_staff_action(
            actor=actor,
            action=StaffActionType.INVOICE_CANCELLED,
            customer=invoice.customer,
            subject=invoice,
            subject_label=invoice.number,
            reason=reason,
            now=now,
        )
    return invoice
