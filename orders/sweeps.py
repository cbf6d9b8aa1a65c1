"""Orders the sweep finishes: approved or provisioning for longer than fulfillment's own
retries take (its task was lost with the broker, or its worker was killed). An order the
operator is finishing on its side (`awaiting_operator`) is not ours to finish."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet

from orders.models import Order, OrderStatus
from orders.tasks import fulfill_order_task
from outbox.sweeps import Sweep, register

# Fulfillment retries for about a quarter of an hour (orders.tasks) before it gives up.
STALE_AFTER = timedelta(minutes=30)


def unfinished_fulfillment(now: datetime) -> QuerySet[Order]:
    cutoff = now - STALE_AFTER
    return Order.objects.filter(
        Q(status=OrderStatus.APPROVED, approved_at__lt=cutoff)
        | Q(status=OrderStatus.PROVISIONING, provisioning_at__lt=cutoff, awaiting_operator=False)
    )


register(
    Sweep(
        name="orders.fulfillment",
        label="Order fulfillment",
        model=Order,
        unfinished=unfinished_fulfillment,
        task=fulfill_order_task,
        order_by="approved_at",
        retry_after=STALE_AFTER,
    )
)
