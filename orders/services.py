"""Orders: placing one (with its gates), review by support, and the fulfillment orchestrator.

An order goes pending_review -> approved -> provisioning -> activated, or ends failed or
cancelled. Every transition happens under the order's row lock and only from the state
before it, so a repeated or concurrent call (a double click, a task retry, two workers)
finds nothing left to do: one subscription and one notification of each type per order.
"""

from __future__ import annotations

import logging
import secrets
import string
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from accounts.models import Customer, EligibilityStatus, User, VerificationStatus
from accounts.selectors import get_internet_eligibility, get_residence_card_verification
from billing.selectors import BILLED_SUBSCRIPTION_STATUSES, count_payment_methods
from notifications.catalog import Text
from notifications.services import notify
from orders.models import OPEN_ORDER_STATUSES, Order, OrderStatus
from orders.provisioning import (
    PermanentProvisioningError,
    ProvisionedService,
    TemporaryProvisioningError,
    get_provisioning_adapter,
)
from orders.selectors import get_active_plan, get_open_order, get_order_for_customer
from outbox.services import enqueue_on_commit
from portal.api_errors import ApplicationError
from staff.models import StaffActionType
from staff.services import record_staff_action
from subscriptions.models import PlanKind, Subscription, SubscriptionStatus

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


# --- Review by support ----------------------------------------------------------------------


def _lock_order(order_id: int) -> Order:
    """The order, locked until the transaction ends (PostgreSQL; SQLite serialises writers).

    Whoever locks it is about to change it, so the customer's dashboard is marked stale.
    """
    order = (
        Order.objects.select_for_update(of=("self",))
        .select_related("plan", "customer__user")
        .get(pk=order_id)
    )
    return order


def _notify(order: Order, type: str, *, now: datetime, **extra: Any) -> None:
    # The source id is the order's external id: whatever retries, one notification per type.
    notify(
        user=order.customer.user,
        type=type,
        source_id=order.external_id,
        context={
            "order_number": order.number,
            "plan_name": order.plan.names,
            "order_id": order.pk,
            **extra,
        },
        now=now,
    )


def _enqueue_fulfillment(order_id: int) -> None:
    # Imported here: the task module imports this one.
    from orders.tasks import fulfill_order_task

    # Published when the transaction commits, and later if the broker is down right then.
    enqueue_on_commit(fulfill_order_task, order_id)


def _not_pending_review(order: Order) -> ApplicationError:
    return ApplicationError(
        "order_not_pending_review",
        _(
            "Order %(number)s is %(status)s: "
            "only an order pending review can be approved or rejected."
        )
        % {"number": order.number, "status": order.get_status_display().lower()},
    )


def _record(
    order: Order, actor: User | None, action: str, *, now: datetime, reason: str = ""
) -> None:
    if actor is not None:
        record_staff_action(
            actor=actor,
            action=action,
            customer=order.customer,
            subject=order,
            subject_label=order.number,
            reason=reason,
            now=now,
        )


def approve_order(
    *, order_id: int, actor: User | None = None, now: datetime | None = None
) -> Order:
    """Support (`actor`, logged) or a CRM event approves an order: tell the customer, fulfill."""
    now = now or timezone.now()
    with transaction.atomic():
        order = _lock_order(order_id)
        if order.status != OrderStatus.PENDING_REVIEW:
            raise _not_pending_review(order)
        order.status = OrderStatus.APPROVED
        order.approved_at = now
        order.save(update_fields=["status", "approved_at"])
        _record(order, actor, StaffActionType.ORDER_APPROVED, now=now)
        _notify(order, "ORDER_APPROVED", now=now)
        _enqueue_fulfillment(order.pk)
    logger.info("Order %s approved", order.number)
    return order


def reject_order(
    *,
    order_id: int,
    reason: str,
    reason_ja: str = "",
    actor: User | None = None,
    now: datetime | None = None,
) -> Order:
    """Support rejects an order pending review; the customer is told why, in English and
    Japanese (a reason in one language only is placed by its script and shown marked)."""
    written = Text.of(reason, reason_ja)
    if not written:
        raise ApplicationError(
            "validation_error",
            _("Say why the order is rejected: the customer reads it."),
            fields={"reason": [_("Enter a reason.")]},
        )
    now = now or timezone.now()
    with transaction.atomic():
        order = _lock_order(order_id)
        if order.status != OrderStatus.PENDING_REVIEW:
            raise _not_pending_review(order)
        order.status = OrderStatus.CANCELLED
        order.cancelled_at = now
        order.failure_reason, order.failure_reason_ja = written.en, written.ja
        order.save(update_fields=["status", "cancelled_at", "failure_reason", "failure_reason_ja"])
        logged = "\n".join(part for part in (written.en, written.ja) if part)
        _record(order, actor, StaffActionType.ORDER_REJECTED, now=now, reason=logged)
        _notify(order, "ORDER_FAILED", now=now, reason=written)
    logger.info("Order %s rejected", order.number)
    return order


def resume_fulfillment(
    *, order_id: int, actor: User | None = None, now: datetime | None = None
) -> Order:
    """Enqueue fulfillment again for an order stuck approved or provisioning (lost task).

    An order left to the operator (`awaiting_operator`) is taken back: we provision it now.
    """
    with transaction.atomic():
        order = _lock_order(order_id)
        if order.status not in (OrderStatus.APPROVED, OrderStatus.PROVISIONING):
            raise ApplicationError(
                "order_not_in_fulfillment",
                _("Order %(number)s is %(status)s: there is nothing to resume.")
                % {"number": order.number, "status": order.get_status_display().lower()},
            )
        if order.awaiting_operator:
            order.awaiting_operator = False
            order.save(update_fields=["awaiting_operator"])
        _record(order, actor, StaffActionType.FULFILLMENT_RESUMED, now=now or timezone.now())
        _enqueue_fulfillment(order.pk)
    return order


# --- Fulfillment ---------------------------------------------------------------------------


def _activate(order: Order, service: ProvisionedService, *, now: datetime) -> None:
    subscription = Subscription.objects.create(
        customer=order.customer,
        plan=order.plan,
        status=SubscriptionStatus.ACTIVE,
        activated_at=now,
        msisdn=service.msisdn,
        iccid=service.iccid,
        line_id=service.line_id,
        installation_address=order.installation_address,
    )
    order.subscription = subscription
    order.status = OrderStatus.ACTIVATED
    order.activated_at = now
    order.save(update_fields=["subscription", "status", "activated_at", "provisioning_attempts"])
    _notify(order, "ORDER_ACTIVATED", now=now)
    logger.info("Order %s activated as subscription %s", order.number, subscription.pk)


def _fail(order: Order, reason: str | Promise | Text, *, now: datetime) -> None:
    # Stored in both languages (our own reasons are translated), so the order's page and the
    # notification read in the customer's language of the moment.
    if isinstance(reason, Text):
        text = reason
    elif isinstance(reason, Promise):
        text = Text.translated(reason)
    else:
        text = Text.of(reason, None)
    order.status = OrderStatus.FAILED
    order.failed_at = now
    order.failure_reason, order.failure_reason_ja = text.en, text.ja
    order.save(
        update_fields=[
            "status",
            "failed_at",
            "failure_reason",
            "failure_reason_ja",
            "provisioning_attempts",
        ]
    )
    _notify(order, "ORDER_FAILED", now=now, reason=text)
    logger.warning("Order %s failed: %s", order.number, text.en or text.ja)


def _gave_up_reason(order: Order) -> Text:
    written = {}
    for language in ("en", "ja"):
        with translation.override(language):
            written[language] = _(
                "The network operator did not answer after %(attempts)d attempts. "
                "Our support team will contact you."
            ) % {"attempts": order.provisioning_attempts}
    return Text(**written)


def fulfill_order(
    *, order_id: int, final_attempt: bool = False, now: datetime | None = None
) -> Order:
    """Run an approved order through provisioning to an active subscription.

    Does nothing for an order that is not approved or provisioning, or that the operator is
    finishing on its side (`awaiting_operator`), so it is safe to run again or concurrently.
    A permanent provisioning error fails the order at once, with ORDER_FAILED. A temporary
    one is raised (as TemporaryProvisioningError, after the attempt is recorded) for the
    caller to retry later, unless `final_attempt`: then the order fails too.
    """
    now = now or timezone.now()
    with transaction.atomic():
        order = _lock_order(order_id)
        if order.status == OrderStatus.APPROVED:
            order.status = OrderStatus.PROVISIONING
            order.provisioning_at = now
            order.save(update_fields=["status", "provisioning_at"])
    # Committed: the customer sees "provisioning" while the operator works.

    with transaction.atomic():
        # The lock is held during the operator's call, so a second worker waits and then
        # finds the order activated or failed instead of provisioning it twice.
        order = _lock_order(order_id)
        if order.status != OrderStatus.PROVISIONING or order.awaiting_operator:
            return order
        order.provisioning_attempts += 1
        try:
            service = get_provisioning_adapter().provision(order=order)
        except PermanentProvisioningError as error:
            _fail(order, error.reason, now=now)
            return order
        except TemporaryProvisioningError as error:
            if final_attempt:
                _fail(order, _gave_up_reason(order), now=now)
                return order
            order.save(update_fields=["provisioning_attempts"])
            temporary_error = error
        else:
            _activate(order, service, now=now)
            return order
    logger.info(
        "Order %s: provisioning attempt %d failed temporarily: %s",
        order.number,
        order.provisioning_attempts,
        temporary_error,
    )
    raise temporary_error


# --- Cancelling by the customer ---------------------------------------------------------------


def cancel_order(*, customer: Customer, order_id: int, now: datetime | None = None) -> Order:
    """The customer withdraws an order while it waits for review; twice is the same answer.

    Once approved, the line or SIM is being set up: `order_not_cancellable`.
    """
    now = now or timezone.now()
    with transaction.atomic():
        get_order_for_customer(customer=customer, order_id=order_id)
        order = _lock_order(order_id)
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
