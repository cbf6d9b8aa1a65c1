"""What every transition of an order shares: the order's row lock and the notification that
tells the customer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from notifications.services.notify import notify
from orders.models import Order


def lock_order(order_id: int) -> Order:
    """The order, locked until the transaction ends (PostgreSQL; SQLite serialises writers).

    Whoever locks it is about to change it, so the customer's dashboard is marked stale.
    """
    order = (
        Order.objects.select_for_update(of=("self",))
        .select_related("plan", "customer__user")
        .get(pk=order_id)
    )
    return order


def notify_customer(order: Order, type: str, *, now: datetime, **extra: Any) -> None:
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
