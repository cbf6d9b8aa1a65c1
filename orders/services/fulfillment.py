"""Fulfillment: an approved order through the operator's provisioning to an active
subscription, or to a failure the customer is told about."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from billing.services.charges import record_charge
from orders.models import Order, OrderStatus
from orders.provisioning import (
    PermanentProvisioningError,
    ProvisionedService,
    TemporaryProvisioningError,
    get_provisioning_adapter,
)
from orders.services.common import lock_order, notify_customer
from outbox.services import enqueue_on_commit
from portal.dates import tokyo_today
from portal.text import Text
from subscriptions.models import Subscription, SubscriptionStatus

logger = logging.getLogger(__name__)


def enqueue_fulfillment(order_id: int) -> None:
    # Imported here: the task module imports this one.
    from orders.tasks import fulfill_order_task

    # Published when the transaction commits, and later if the broker is down right then.
    enqueue_on_commit(fulfill_order_task, order_id)


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
    _charge_initial_fee(order, now=now)
    notify_customer(order, "ORDER_ACTIVATED", now=now)
    logger.info("Order %s activated as subscription %s", order.number, subscription.pk)


def _charge_initial_fee(order: Order, *, now: datetime) -> None:
    """The plan's one-time fee goes on the next monthly invoice (billing's run bills it)."""
    plan = order.plan
    if plan.initial_fee <= 0:
        return
    record_charge(
        customer=order.customer,
        description=f"Initial fee: {plan.name} (order {order.number})",
        description_ja=f"初期費用：{plan.name_ja or plan.name}（ご注文番号 {order.number}）",  # noqa: RUF001
        amount=plan.initial_fee,
        incurred_on=tokyo_today(now=now),
        source_type="order",
        source_id=order.pk,
        now=now,
    )


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
    notify_customer(order, "ORDER_FAILED", now=now, reason=text)
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
        order = lock_order(order_id)
        if order.status == OrderStatus.APPROVED:
            order.status = OrderStatus.PROVISIONING
            order.provisioning_at = now
            order.save(update_fields=["status", "provisioning_at"])
    # Committed: the customer sees "provisioning" while the operator works.

    with transaction.atomic():
        # The lock is held during the operator's call, so a second worker waits and then
        # finds the order activated or failed instead of provisioning it twice.
        order = lock_order(order_id)
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
