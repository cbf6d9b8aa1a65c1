"""The network operator hangs: each provisioning attempt times out, the task retries with
its backoff, and after the last attempt the order fails and the customer is told once.

The operator is a local socket that accepts connections and never answers; the adapter
talks to it as a real one would, with a timeout. Celery runs eagerly, so the retries run
at once, as with `make run` (the backoff itself is tested in tests/orders/test_tasks.py).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from celery.exceptions import Retry

from orders import tasks
from orders.models import OrderStatus
from orders.services.review import approve_order
from portal.celery import app as celery_app
from subscriptions.models import Subscription
from tests.factories import OrderFactory
from tests.orders.support import notification_types, ready_to_order, sim_plan
from tests.reliability.adapters import HangingOperatorAdapter

pytestmark = pytest.mark.django_db


@pytest.fixture
def hanging_operator(settings) -> Iterator[type[HangingOperatorAdapter]]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)  # the kernel completes each connection; nobody ever answers
        settings.PROVISIONING_ADAPTER = "tests.reliability.adapters.HangingOperatorAdapter"
        HangingOperatorAdapter.address = server.getsockname()
        HangingOperatorAdapter.attempts = 0
        yield HangingOperatorAdapter


@pytest.fixture
def eager_retries() -> Iterator[None]:
    """Eager Celery as `make run` has it: a retry runs again at once, in-process."""
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = True


def test_an_operator_that_never_answers_fails_the_order_after_the_last_retry(
    customer, hanging_operator, eager_retries
):
    ready_to_order(customer)
    order = OrderFactory(customer=customer, plan=sim_plan())
    approve_order(order_id=order.pk)

    tasks.fulfill_order_task.delay(order.pk)

    order.refresh_from_db()
    assert hanging_operator.attempts == tasks.MAX_RETRIES + 1
    assert order.provisioning_attempts == tasks.MAX_RETRIES + 1
    assert order.status == OrderStatus.FAILED
    assert "did not answer after 6 attempts" in order.failure_reason
    assert not Subscription.objects.exists()
    assert notification_types(order) == ["ORDER_APPROVED", "ORDER_FAILED"]


def test_each_attempt_is_bounded_by_the_timeout_and_scheduled_with_a_backoff(
    customer, hanging_operator
):
    ready_to_order(customer)
    order = OrderFactory(customer=customer, plan=sim_plan())
    approve_order(order_id=order.pk)

    with pytest.raises(Retry) as retry:
        tasks.fulfill_order_task.delay(order.pk)

    assert tasks.BACKOFF_BASE_SECONDS // 2 <= retry.value.when <= tasks.BACKOFF_BASE_SECONDS
    order.refresh_from_db()
    assert order.status == OrderStatus.PROVISIONING  # waiting for the next attempt
    assert order.provisioning_attempts == 1
    assert notification_types(order) == ["ORDER_APPROVED"]
