"""Review by support (or a CRM event): approving an order starts its fulfillment, rejecting it
tells the customer why; an order whose fulfillment task was lost is resumed."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from orders.models import Order, OrderStatus
from orders.services.common import lock_order, notify_customer
from orders.services.fulfillment import enqueue_fulfillment
from portal.api_errors import ApplicationError
from portal.text import Text
from staff.models import StaffActionType
from staff.services import record_staff_action

logger = logging.getLogger(__name__)


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
        order = lock_order(order_id)
        if order.status != OrderStatus.PENDING_REVIEW:
            raise _not_pending_review(order)
        order.status = OrderStatus.APPROVED
        order.approved_at = now
        order.save(update_fields=["status", "approved_at"])
        _record(order, actor, StaffActionType.ORDER_APPROVED, now=now)
        notify_customer(order, "ORDER_APPROVED", now=now)
        enqueue_fulfillment(order.pk)
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
        order = lock_order(order_id)
        if order.status != OrderStatus.PENDING_REVIEW:
            raise _not_pending_review(order)
        order.status = OrderStatus.CANCELLED
        order.cancelled_at = now
        order.failure_reason, order.failure_reason_ja = written.en, written.ja
        order.save(update_fields=["status", "cancelled_at", "failure_reason", "failure_reason_ja"])
        logged = "\n".join(part for part in (written.en, written.ja) if part)
        _record(order, actor, StaffActionType.ORDER_REJECTED, now=now, reason=logged)
        notify_customer(order, "ORDER_FAILED", now=now, reason=written)
    logger.info("Order %s rejected", order.number)
    return order


def resume_fulfillment(
    *, order_id: int, actor: User | None = None, now: datetime | None = None
) -> Order:
    """Enqueue fulfillment again for an order stuck approved or provisioning (lost task).

    An order left to the operator (`awaiting_operator`) is taken back: we provision it now.
    """
    with transaction.atomic():
        order = lock_order(order_id)
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
        enqueue_fulfillment(order.pk)
    return order
