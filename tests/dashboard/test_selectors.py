"""The snapshot's one statement: the plans PostgreSQL chooses for it (DESIGN.md section 9)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboard import selectors
from orders.models import Order, OrderStatus
from portal.dates import TOKYO, tokyo_today
from tests.factories import OrderFactory, PlanFactory

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=TOKYO)


def _orders(customer, count: int) -> list[Order]:
    """`count` orders placed an hour apart, every other one activated a day later."""
    plan = PlanFactory()
    orders = []
    for n in range(count):
        placed = NOW - timedelta(hours=count - n)
        orders.append(
            OrderFactory.build(
                customer=customer,
                plan=plan,
                status=OrderStatus.ACTIVATED if n % 2 else OrderStatus.CANCELLED,
                placed_at=placed,
                activated_at=placed + timedelta(days=1) if n % 2 else None,
            )
        )
    return Order.objects.bulk_create(orders)


@pytest.mark.postgres
def test_the_newest_order_events_are_read_from_their_index_not_sorted(customer, other_customer):
    _orders(customer, 300)
    _orders(other_customer, 300)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orders_order")

    def read():
        return selectors.read_facts(
            customer=customer, now=NOW, today=tokyo_today(now=NOW), limit=10
        )

    with CaptureQueriesContext(connection) as captured:
        facts = read()
    [query] = captured.captured_queries
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {query['sql']}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "order_customer_latest_idx" in plan
    # The activated ones, latest activation first: their events are the newest.
    latest = [order.activated_at for order in facts.recent_orders]
    assert len(latest) == 10 and None not in latest and latest == sorted(latest, reverse=True)
