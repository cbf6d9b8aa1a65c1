"""Placing an order, with the gates a customer must pass for each kind of plan, and the
customer withdrawing it while it waits for review."""

from __future__ import annotations

import logging
import secrets
import string
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Customer, EligibilityStatus, VerificationStatus
from accounts.selectors import get_internet_eligibility, get_residence_card_verification
from billing.selectors import BILLED_SUBSCRIPTION_STATUSES, count_payment_methods
from orders.models import OPEN_ORDER_STATUSES, Order, OrderStatus
from orders.selectors import get_active_plan, get_open_order, get_order_for_customer
from orders.services.common import lock_order
from portal.api_errors import ApplicationError
from subscriptions.models import PlanKind, Subscription

logger = logging.getLogger(__name__)

INSTALLATION_ADDRESS_MAX_LENGTH = Order._meta.get_field("installation_address").max_length or 300


# --- Placing an order ---------------------------------------------------------------------


@dataclass(frozen=True)
class OrderGate:
    """Why a customer cannot order a kind of plan yet, and where to go to change that."""

    code: str
    message: str
    action_url: str
    action_label: str


def _eligibility_gate(status: str) -> OrderGate:
    code = "internet_eligibility_required"
    if status == EligibilityStatus.PENDING:
        return OrderGate(
            code,
            _(
                "We are still checking whether our internet reaches your address. "
                "You can order internet as soon as it is confirmed."
            ),
            reverse("account-eligibility"),
            _("See the check"),
        )
    if status == EligibilityStatus.INELIGIBLE:
        return OrderGate(
            code,
            _("Our internet service is not available at your address yet."),
            reverse("account-eligibility"),
            _("See details"),
        )
    return OrderGate(
        code,
        _("Before you order internet, we check that our service reaches your address."),
        reverse("account-eligibility"),
        _("Check availability"),
    )


def _verification_gate(status: str) -> OrderGate:
    code = "residence_card_verification_required"
    if status == VerificationStatus.PENDING:
        return OrderGate(
            code,
            _(
                "We are reviewing your residence card. "
                "You can order a SIM as soon as it is verified."
            ),
            reverse("account-verification"),
            _("See the review"),
        )
    if status == VerificationStatus.REJECTED:
        return OrderGate(
            code,
            _("We could not verify your residence card. Upload it again to order a SIM."),
            reverse("account-verification"),
            _("Upload again"),
        )
    return OrderGate(
        code,
        _("A SIM needs a verified residence card. Upload yours to order one."),
        reverse("account-verification"),
        _("Upload residence card"),
    )


def in_progress_gate(order: Order) -> OrderGate:
    return OrderGate(
        "order_already_in_progress",
        _(
            "Your order %(number)s is still in progress. "
            "You can place another order of this kind once it is finished."
        )
        % {"number": order.number},
        reverse("order-detail", args=[order.pk]),
        _("View order"),
    )


def _payment_method_gate() -> OrderGate:
    return OrderGate(
        "payment_method_required",
        _("Add a payment method before you order: we bill your plan to it each month."),
        reverse("billing-payment-methods"),
        _("Add a payment method"),
    )


def _internet_active_gate() -> OrderGate:
    return OrderGate(
        "internet_already_active",
        _(
            "You already have an internet line at this address, active or on its way. "
            "Contact us if you need a second line there."
        ),
        reverse("services"),
        _("See your services"),
    )


def _internet_at_address(*, customer: Customer, address: str) -> bool:
    """An internet line at this address is active (or billed) or an order for one is open."""
    if not address:
        return False
    lines = Subscription.objects.filter(
        customer=customer,
        plan__kind=PlanKind.INTERNET,
        status__in=BILLED_SUBSCRIPTION_STATUSES,
    ).values_list("installation_address", flat=True)
    orders = Order.objects.filter(
        customer=customer, kind=PlanKind.INTERNET, status__in=OPEN_ORDER_STATUSES
    ).values_list("installation_address", flat=True)
    wanted = _normalize_address(address).casefold()
    return any(_normalize_address(other).casefold() == wanted for other in [*lines, *orders])


def get_order_gate(*, customer: Customer, kind: str) -> OrderGate | None:
    """What stops the customer from ordering this kind of plan now, or None.

    `place_order` enforces exactly this, in this order; pages call it to explain a gate
    before the customer tries. For internet the address is the one whose eligibility was
    checked, the only address an order may name.
    """
    address = ""
    if kind == PlanKind.INTERNET:
        eligibility = get_internet_eligibility(customer=customer)
        if eligibility.status != EligibilityStatus.ELIGIBLE:
            return _eligibility_gate(eligibility.status)
        address = eligibility.address
    else:
        verification = get_residence_card_verification(customer=customer)
        if verification.status != VerificationStatus.VERIFIED:
            return _verification_gate(verification.status)
    if not count_payment_methods(customer=customer):
        return _payment_method_gate()
    if kind == PlanKind.INTERNET and _internet_at_address(customer=customer, address=address):
        return _internet_active_gate()
    open_order = get_open_order(customer=customer, kind=kind)
    if open_order is not None:
        return in_progress_gate(open_order)
    return None


_ID_ALPHABET = string.ascii_letters + string.digits
_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def _case_safe_suffix(id15: str) -> str:
    """Salesforce's 3-character suffix that makes a 15-character id case-insensitive."""
    suffix = ""
    for start in (0, 5, 10):
        bits = sum(1 << i for i, char in enumerate(id15[start : start + 5]) if char.isupper())
        suffix += _SUFFIX_ALPHABET[bits]
    return suffix


def new_external_id() -> str:
    """An 18-character id shaped like a Salesforce Order Id (key prefix 801)."""
    id15 = "801" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))
    return id15 + _case_safe_suffix(id15)


def _normalize_address(address: str) -> str:
    return " ".join(address.split())


def place_order(
    *,
    customer: Customer,
    plan_code: str,
    installation_address: str = "",
    now: datetime | None = None,
) -> Order:
    """Place an order for an active plan, if the customer passes the plan kind's gates.

    A second open order of the same kind is refused by a database constraint, so a double
    submit or two requests racing each other end with one order and a clean conflict.
    """
    plan = get_active_plan(code=plan_code)
    if plan is None:
        raise ApplicationError(
            "validation_error",
            _("Choose a plan from the catalog."),
            fields={"planCode": [_("This plan does not exist or is no longer offered.")]},
        )
    address = ""
    if plan.kind == PlanKind.INTERNET:
        address = _normalize_address(installation_address)
        if not address:
            raise ApplicationError(
                "validation_error",
                _("Internet plans need the installation address."),
                fields={"installationAddress": [_("Enter the address where we install the line.")]},
            )
        if len(address) > INSTALLATION_ADDRESS_MAX_LENGTH:
            raise ApplicationError(
                "validation_error",
                _("The installation address is too long."),
                fields={
                    "installationAddress": [
                        _("Use at most %(max)d characters.")
                        % {"max": INSTALLATION_ADDRESS_MAX_LENGTH}
                    ]
                },
            )
        checked = _normalize_address(get_internet_eligibility(customer=customer).address)
        if checked and address.casefold() != checked.casefold():
            raise ApplicationError(
                "validation_error",
                _("We can only install the line at the address whose availability we checked."),
                fields={
                    "installationAddress": [
                        _("Use the checked address: %(address)s") % {"address": checked}
                    ]
                },
            )
        address = checked or address
    gate = get_order_gate(customer=customer, kind=plan.kind)
    if gate is not None:
        raise ApplicationError(gate.code, gate.message)

    now = now or timezone.now()
    try:
        with transaction.atomic():
            order = Order.objects.create(
                customer=customer,
                plan=plan,
                kind=plan.kind,
                # Replaced below once the id is known; unique, and never seen outside.
                number=f"NEW-{secrets.token_hex(6)}",
                external_id=new_external_id(),
                installation_address=address,
                placed_at=now,
            )
            order.number = f"ORD-{order.pk:06d}"
            order.save(update_fields=["number"])
    except IntegrityError:
        open_order = get_open_order(customer=customer, kind=plan.kind)
        if open_order is None:
            raise
        gate = in_progress_gate(open_order)
        raise ApplicationError(gate.code, gate.message) from None
    logger.info("Order %s placed by customer %s for %s", order.number, customer.pk, plan.code)
    return order


# --- Cancelling by the customer ---------------------------------------------------------------


def cancel_order(*, customer: Customer, order_id: int, now: datetime | None = None) -> Order:
    """The customer withdraws an order while it waits for review; twice is the same answer.

    Once approved, the line or SIM is being set up: `order_not_cancellable`.
    """
    now = now or timezone.now()
    with transaction.atomic():
        get_order_for_customer(customer=customer, order_id=order_id)
        order = lock_order(order_id)
        if order.status == OrderStatus.CANCELLED:
            return order
        if order.status != OrderStatus.PENDING_REVIEW:
            raise ApplicationError(
                "order_not_cancellable",
                _(
                    "Order %(number)s can no longer be cancelled: we have started setting it "
                    "up. Contact support if you no longer want it."
                )
                % {"number": order.number},
            )
        order.status = OrderStatus.CANCELLED
        order.cancelled_at = now
        order.save(update_fields=["status", "cancelled_at"])
    logger.info("Order %s cancelled by customer %s", order.number, customer.pk)
    return order
