"""Adding, removing and choosing the customer's payment methods."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Customer
from billing import selectors
from billing.models import PaymentMethod
from billing.processor import TokenRefused, get_payment_processor
from outbox.services import enqueue_on_commit
from portal.api_errors import ApplicationError
from portal.dates import tokyo_today
from portal.locks import advisory_xact_lock


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
