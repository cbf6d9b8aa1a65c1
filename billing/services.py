"""Billing use cases: adding, removing and choosing payment methods, paying invoices."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Customer, User
from billing import selectors
from billing.models import (
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from billing.processor import ChargeDeclined, TokenRefused, get_payment_processor
from outbox.services import enqueue_on_commit
from portal.api_errors import ApplicationError
from portal.dates import tokyo_today
from portal.locks import advisory_xact_lock
from staff.models import StaffActionType
from staff.services import record_staff_action

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AddedPaymentMethod:
    payment_method: PaymentMethod
    # False when the same token was added before: nothing new was stored.
    created: bool


def _lock_payment_methods(customer: Customer) -> None:
    """Serialise changes to one customer's payment methods (first default, removal rule)."""
    advisory_xact_lock("billing.payment_methods", str(customer.pk))


def _customer_reference(customer: Customer) -> str:
    return f"customer-{customer.pk}"


def add_payment_method(*, customer: Customer, token: str) -> AddedPaymentMethod:
    """Exchange a processor token for a stored payment method; the first one is the default.

    Adding the same token again returns the method it added the first time.
    """
    try:
        # Outside the transaction: no lock is held while the processor is called.
        details = get_payment_processor().attach(
            token=token, customer_reference=_customer_reference(customer)
        )
    except TokenRefused as refused:
        raise ApplicationError(
            "validation_error", refused.message, fields={"token": [refused.message]}
        ) from refused
    with transaction.atomic():
        _lock_payment_methods(customer)
        existing = PaymentMethod.objects.filter(processor_reference=details.reference).first()
        if existing is not None:
            if existing.customer_id != customer.pk:
                message = _(
                    "We could not add this payment method. Add the card again, or contact "
                    "support if it keeps happening."
                )
                raise ApplicationError("validation_error", message, fields={"token": [message]})
            return AddedPaymentMethod(payment_method=existing, created=False)
        is_first = not PaymentMethod.objects.filter(customer=customer).exists()
        method = PaymentMethod.objects.create(
            customer=customer,
            processor_reference=details.reference,
            type=details.type,
            brand=details.brand,
            last4=details.last4,
            exp_month=details.exp_month,
            exp_year=details.exp_year,
            is_default=is_first,
        )
    return AddedPaymentMethod(payment_method=method, created=True)


def remove_payment_method(*, customer: Customer, payment_method_id: int) -> PaymentMethod:
    """Remove a method (returned, no longer saved); a removed default hands over to another.

    A customer with a billed service keeps at least one method: removing the last one is
    refused with `payment_method_required`.
    """
    from billing.tasks import detach_payment_method_task

    with transaction.atomic():
        _lock_payment_methods(customer)
        method = selectors.get_payment_method_for_customer(
            customer=customer, payment_method_id=payment_method_id
        )
        others = PaymentMethod.objects.filter(customer=customer).exclude(pk=method.pk)
        if not others.exists() and selectors.customer_requires_payment_method(customer=customer):
            raise ApplicationError(
                "payment_method_required",
                _(
                    "You have services that we bill each month, so you need at least one "
                    "payment method. Add another one before removing this one."
                ),
            )
        method.delete()
        if method.is_default:
            _promote_default(customer=customer)
        enqueue_on_commit(detach_payment_method_task, method.processor_reference)
    return method


def _promote_default(*, customer: Customer) -> None:
    """Make the most recently added method that still works the default (else the newest)."""
    today = tokyo_today()
    newest_first = PaymentMethod.objects.filter(customer=customer).order_by("-created_at", "-id")
    candidates = list(newest_first)
    working = [method for method in candidates if not method.is_expired(today=today)]
    if working or candidates:
        chosen = (working or candidates)[0]
        PaymentMethod.objects.filter(pk=chosen.pk).update(is_default=True)


def set_default_payment_method(*, customer: Customer, payment_method_id: int) -> PaymentMethod:
    """Make one of the customer's methods the default; doing it twice changes nothing."""
    with transaction.atomic():
        _lock_payment_methods(customer)
        method = selectors.get_payment_method_for_customer(
            customer=customer, payment_method_id=payment_method_id
        )
        if not method.is_default:
            # Clear the old default first: one default per customer is a database constraint.
            PaymentMethod.objects.filter(customer=customer, is_default=True).update(
                is_default=False
            )
            PaymentMethod.objects.filter(pk=method.pk).update(is_default=True)
            method.is_default = True
    return method


def detach_payment_method(*, processor_reference: str) -> None:
    """Tell the processor to forget a method we removed (safe to repeat)."""
    get_payment_processor().detach(reference=processor_reference)


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
    # Imported here: notifications.services imports billing's models.
    from notifications.services import retire_notifications

    retire_notifications(user_id=invoice.customer.user_id, type="INVOICE_DUE", source_id=invoice.pk)


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


# --- Paying an invoice ---------------------------------------------------------------------

IDEMPOTENCY_KEY_MAX_LENGTH = 255


def _key_error(message: str) -> ApplicationError:
    return ApplicationError("validation_error", message, fields={"Idempotency-Key": [message]})


def pay_invoice(
    *,
    customer: Customer,
    invoice_id: int,
    idempotency_key: str,
    payment_method_id: int | None = None,
    now: datetime | None = None,
) -> Payment:
    """Charge an unpaid invoice once, with the chosen method or the default one.

    The same key again gives the same payment (or the same decline) and charges nothing.
    Requests with other keys for the same invoice wait for the payment in progress and
    are then told the invoice is paid (`invoice_already_paid`): an invoice is charged once
    however many requests arrive at once. A declined charge is `payment_declined`.
    """
    # Another customer's invoice is a 404 before anything else is looked at.
    selectors.get_invoice_for_customer(customer=customer, invoice_id=invoice_id)
    key = (idempotency_key or "").strip()
    if not key:
        raise _key_error(_("Send an Idempotency-Key header, unique to this payment."))
    if len(key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        raise _key_error(
            _("The Idempotency-Key may be at most %(max)d characters long.")
            % {"max": IDEMPOTENCY_KEY_MAX_LENGTH}
        )
    payment: Payment | None = None
    for _attempt in range(3):
        payment, in_progress = _start_payment(
            customer=customer,
            invoice_id=invoice_id,
            key=key,
            payment_method_id=payment_method_id,
            now=now or timezone.now(),
        )
        if in_progress is None:
            break
        # Another request is paying this invoice: wait for it (or finish it), then look again.
        complete_payment(payment_id=in_progress.pk, now=now)
    assert payment is not None, "a payment in progress never ended"
    payment = complete_payment(payment_id=payment.pk, now=now)
    if payment.status == PaymentStatus.FAILED:
        raise ApplicationError("payment_declined", payment.failure_message)
    return payment


def _start_payment(
    *,
    customer: Customer,
    invoice_id: int,
    key: str,
    payment_method_id: int | None,
    now: datetime,
) -> tuple[Payment | None, Payment | None]:
    """(the payment stored for this key, None) or (None, another payment in progress)."""
    with transaction.atomic():
        invoice = selectors.get_invoice_for_customer(customer=customer, invoice_id=invoice_id)
        # One request at a time per invoice decides whether a charge may start.
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        existing = Payment.objects.filter(customer=customer, idempotency_key=key).first()
        if existing is not None:
            if existing.invoice_id != invoice.pk:
                raise _key_error(_("This Idempotency-Key was already used for another payment."))
            return existing, None
        if invoice.status == InvoiceStatus.PAID:
            raise ApplicationError(
                "invoice_already_paid",
                _("Invoice %(number)s is already paid.") % {"number": invoice.number},
            )
        if invoice.status != InvoiceStatus.UNPAID:
            raise ApplicationError(
                "invoice_not_payable",
                _("Invoice %(number)s is %(status)s and cannot be paid.")
                % {"number": invoice.number, "status": invoice.get_status_display()},
            )
        in_progress = Payment.objects.filter(invoice=invoice, status=PaymentStatus.PENDING).first()
        if in_progress is not None:
            return None, in_progress
        method = _method_to_charge(customer=customer, payment_method_id=payment_method_id)
        if method.is_expired(today=tokyo_today(now=now)):
            raise ApplicationError(
                "payment_declined",
                _("This card has expired. Choose another payment method or add a new card."),
            )
        payment = Payment.objects.create(
            customer=customer,
            invoice=invoice,
            payment_method=method,
            method_description=str(method)[:80],
            idempotency_key=key,
            amount=invoice.total,
            currency=invoice.currency,
            status=PaymentStatus.PENDING,
            created_at=now,
        )
    return payment, None


def _method_to_charge(*, customer: Customer, payment_method_id: int | None) -> PaymentMethod:
    if payment_method_id is not None:
        method = PaymentMethod.objects.filter(customer=customer, pk=payment_method_id).first()
        if method is None:
            message = _("Choose one of your payment methods.")
            raise ApplicationError(
                "validation_error", message, fields={"paymentMethodId": [message]}
            )
        return method
    method = PaymentMethod.objects.filter(customer=customer, is_default=True).first()
    if method is None:
        raise ApplicationError(
            "payment_method_required",
            _("Add a payment method first, then pay the invoice."),
        )
    return method


def complete_payment(*, payment_id: int, now: datetime | None = None) -> Payment:
    """Finish a payment: charge it (once, by its own key), record the outcome, mark paid.

    Safe to call any number of times, from the request that started the payment, a
    concurrent request, or the sweep for payments left pending: a payment that is no
    longer pending is returned as it is, and the processor gives back the same charge
    for the same key, so a payment whose charge went through before a crash is recorded
    without charging again.
    """
    from notifications.catalog import Money
    from notifications.services import notify

    now = now or timezone.now()
    with transaction.atomic():
        # The row lock serialises everyone finishing this payment; the processor call is
        # made under it so that a second caller sees the outcome instead of charging too.
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("payment_method", "invoice", "customer__user")
            .get(pk=payment_id)
        )
        if payment.status != PaymentStatus.PENDING:
            return payment
        invoice = payment.invoice
        if invoice.status != InvoiceStatus.UNPAID:
            # Settled some other way (staff recorded a transfer) before we charged.
            return _fail_payment(
                payment,
                code="invoice_not_payable",
                message=_("Invoice %(number)s no longer needs paying.")
                % {"number": invoice.number},
                now=now,
            )
        if payment.payment_method is None:
            return _fail_payment(
                payment,
                code="payment_method_removed",
                message=_("The payment method was removed before the payment was made."),
                now=now,
            )
        try:
            charge = get_payment_processor().charge(
                reference=payment.payment_method.processor_reference,
                amount=payment.amount,
                currency=payment.currency,
                idempotency_key=f"payment-{payment.pk}",
            )
        except ChargeDeclined as declined:
            return _fail_payment(payment, code=declined.code, message=declined.message, now=now)
        except Exception as error:
            logger.exception("Payment processor failed for payment %s", payment.pk)
            raise ApplicationError(
                "billing_unavailable",
                _(
                    "We could not reach our payment processor. Nothing was charged twice: "
                    "try again in a few minutes."
                ),
            ) from error
        payment.status = PaymentStatus.SUCCEEDED
        payment.processor_reference = charge.reference
        payment.paid_at = now
        payment.save(update_fields=["status", "processor_reference", "paid_at"])
        mark_invoice_paid(invoice_id=invoice.pk, paid_at=now)
        notify(
            user=payment.customer.user,
            type="PAYMENT_RECEIVED",
            source_id=payment.pk,
            context={
                "invoice_number": invoice.number,
                "invoice_id": invoice.pk,
                "amount": Money(payment.amount, payment.currency),
            },
            now=now,
        )
    return payment


def _fail_payment(payment: Payment, *, code: str, message: str, now: datetime) -> Payment:
    payment.status = PaymentStatus.FAILED
    payment.failure_code = code[:64]
    payment.failure_message = message[:300]
    payment.failed_at = now
    payment.save(update_fields=["status", "failure_code", "failure_message", "failed_at"])
    return payment
