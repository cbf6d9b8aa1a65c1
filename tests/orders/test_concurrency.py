"""Real concurrency on PostgreSQL: threads with their own connections hit the same order."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from orders.models import Order, OrderStatus
from orders.services.fulfillment import fulfill_order
from orders.services.placing import place_order
from orders.services.review import approve_order
from portal.api_errors import ApplicationError
from subscriptions.models import Subscription
from tests.factories import OrderFactory
from tests.orders.support import notification_types, ready_to_order, sim_plan

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _all_at_once(count: int, call: Callable[[], Any]) -> tuple[list[Any], list[Exception]]:
    barrier = threading.Barrier(count)
    results: list[Any] = []
    errors: list[Exception] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(call())
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


def test_workers_fulfilling_one_order_at_once_make_one_subscription_and_notify_once(customer):
    ready_to_order(customer)
    order = OrderFactory(
        customer=customer, plan=sim_plan(), status="approved", approved_at=timezone.now()
    )
    results, errors = _all_at_once(4, lambda: fulfill_order(order_id=order.pk))
    assert errors == []
    assert {result.status for result in results} == {OrderStatus.ACTIVATED}
    order.refresh_from_db()
    assert order.provisioning_attempts == 1
    assert Subscription.objects.count() == 1
    assert notification_types(order) == ["ORDER_ACTIVATED"]


def test_placing_the_same_order_at_once_gives_one_order_and_conflicts(customer):
    ready_to_order(customer)
    plan = sim_plan()
    results, errors = _all_at_once(4, lambda: place_order(customer=customer, plan_code=plan.code))
    assert len(results) == 1
    assert len(errors) == 3
    assert all(isinstance(error, ApplicationError) for error in errors)
    assert {error.code for error in errors} == {"order_already_in_progress"}  # type: ignore[attr-defined]
    assert Order.objects.count() == 1


def test_approving_one_order_at_once_approves_and_fulfills_it_once(customer):
    ready_to_order(customer)
    order = OrderFactory(customer=customer, plan=sim_plan())
    results, errors = _all_at_once(3, lambda: approve_order(order_id=order.pk))
    assert len(results) == 1
    assert [error.code for error in errors] == ["order_not_pending_review"] * 2  # type: ignore[attr-defined]
    order.refresh_from_db()
    # Celery runs eagerly here: the winner's on-commit fulfillment activated the order.
    assert order.status == OrderStatus.ACTIVATED
    assert Subscription.objects.count() == 1
    assert notification_types(order) == ["ORDER_APPROVED", "ORDER_ACTIVATED"]
