"""The fulfillment task's retry policy, run eagerly (Celery in-process)."""

from __future__ import annotations

import pytest
from celery.exceptions import Retry

from orders import tasks
from orders.models import OrderStatus
from orders.services.review import approve_order
from portal.celery import app as celery_app
from subscriptions.models import Subscription
from tests.factories import OrderFactory
from tests.orders.adapters import FlakyProvisioningAdapter
from tests.orders.support import notification_types, ready_to_order, sim_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved_order(customer):
    ready_to_order(customer)
    order = OrderFactory(customer=customer, plan=sim_plan())
    # Approved without the on-commit enqueue: each test runs the task itself.
    return approve_order(order_id=order.pk)


@pytest.fixture
def eager_retries():
    """Eager Celery as `make run` has it: a retry runs again at once, in-process."""
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = True


@pytest.fixture
def flaky(settings, eager_retries):
    settings.PROVISIONING_ADAPTER = "tests.orders.adapters.FlakyProvisioningAdapter"
    FlakyProvisioningAdapter.calls = []
    return FlakyProvisioningAdapter


def test_the_backoff_doubles_with_each_retry_and_has_a_ceiling():
    for retries in range(12):
        ceiling = min(tasks.BACKOFF_MAX_SECONDS, tasks.BACKOFF_BASE_SECONDS * 2**retries)
        for _ in range(20):
            assert ceiling // 2 <= tasks.retry_countdown(retries) <= ceiling
    assert tasks.retry_countdown(0) <= 30
    assert tasks.retry_countdown(20) >= tasks.BACKOFF_MAX_SECONDS // 2


def test_the_task_activates_an_approved_order(approved_order):
    tasks.fulfill_order_task.delay(approved_order.pk)
    approved_order.refresh_from_db()
    assert approved_order.status == OrderStatus.ACTIVATED


def test_temporary_errors_are_retried_until_the_operator_answers(approved_order, flaky):
    flaky.failures = 2
    tasks.fulfill_order_task.delay(approved_order.pk)
    approved_order.refresh_from_db()
    assert approved_order.status == OrderStatus.ACTIVATED
    assert approved_order.provisioning_attempts == 3
    assert len(flaky.calls) == 3
    assert Subscription.objects.count() == 1
    assert notification_types(approved_order) == ["ORDER_APPROVED", "ORDER_ACTIVATED"]


def test_after_the_retry_limit_the_order_fails_and_the_customer_is_told_once(
    settings, approved_order, eager_retries
):
    settings.PROVISIONING_FAILURE_MODE = "temporary"
    tasks.fulfill_order_task.delay(approved_order.pk)
    approved_order.refresh_from_db()
    assert approved_order.status == OrderStatus.FAILED
    assert approved_order.provisioning_attempts == tasks.MAX_RETRIES + 1
    assert f"after {tasks.MAX_RETRIES + 1} attempts" in approved_order.failure_reason
    assert notification_types(approved_order) == ["ORDER_APPROVED", "ORDER_FAILED"]


def test_a_permanent_error_is_not_retried(settings, approved_order):
    settings.PROVISIONING_FAILURE_MODE = "permanent"
    tasks.fulfill_order_task.delay(approved_order.pk)
    approved_order.refresh_from_db()
    assert approved_order.status == OrderStatus.FAILED
    assert approved_order.provisioning_attempts == 1


def test_running_the_task_twice_gives_one_subscription_and_one_notification_each(approved_order):
    tasks.fulfill_order_task.delay(approved_order.pk)
    tasks.fulfill_order_task.delay(approved_order.pk)
    assert Subscription.objects.count() == 1
    assert notification_types(approved_order) == ["ORDER_APPROVED", "ORDER_ACTIVATED"]


def test_an_order_deleted_before_the_task_ran_is_skipped(approved_order):
    order_id = approved_order.pk
    approved_order.delete()
    result = tasks.fulfill_order_task.delay(order_id)
    assert result.successful()


def test_a_temporary_error_schedules_the_retry_after_a_backoff(settings, approved_order):
    settings.PROVISIONING_FAILURE_MODE = "temporary"
    with pytest.raises(Retry) as raised:
        tasks.fulfill_order_task.delay(approved_order.pk)
    assert tasks.BACKOFF_BASE_SECONDS // 2 <= raised.value.when <= tasks.BACKOFF_BASE_SECONDS
    approved_order.refresh_from_db()
    assert approved_order.status == OrderStatus.PROVISIONING
