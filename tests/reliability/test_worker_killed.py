"""A Celery worker is killed hard (SIGKILL, as the OOM killer or a lost machine would) while
it provisions an order, holding the order's row lock.

Its transaction dies with its connection, so nothing it did is kept; its message is not
acknowledged and would come back only after the broker's visibility timeout (an hour). The
task recorded its start on its outbox row: once fulfillment's own retry window has passed
without its end, the outbox publishes the message again (and, later still, the sweep finds
the order unfinished); a new worker activates it: one subscription, one notification of
each type.
"""

from __future__ import annotations

import os
import signal
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from orders.models import OrderStatus
from orders.services.review import approve_order
from orders.sweeps import STALE_AFTER
from orders.tasks import fulfill_order_task
from outbox import services as outbox
from outbox.models import OutboxMessage
from outbox.sweeps import sweep_unfinished_work
from portal.retries import retry_window
from subscriptions.models import Subscription
from tests.factories import CustomerFactory, OrderFactory
from tests.orders.support import notification_types, ready_to_order, sim_plan
from tests.reliability.processes import celery_worker, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_an_order_whose_worker_was_killed_mid_provisioning_is_finished_by_the_sweep(
    tmp_path: Path,
):
    pause = tmp_path / "pause"
    pause.mkdir()
    (pause / "armed").touch()
    customer = ready_to_order(CustomerFactory())
    order = OrderFactory(customer=customer, plan=sim_plan())
    environment = {
        "PROVISIONING_ADAPTER": "tests.reliability.adapters.PausingProvisioningAdapter",
        "RELIABILITY_PAUSE_DIR": str(pause),
    }

    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    with celery_worker(first, **environment) as worker:
        approve_order(order_id=order.pk)
        wait_for(lambda: (pause / "waiting").exists(), what="provisioning to start", process=worker)
        os.killpg(worker.popen.pid, signal.SIGKILL)
        worker.popen.wait(timeout=10)

    order.refresh_from_db()
    assert order.status in (OrderStatus.APPROVED, OrderStatus.PROVISIONING)
    assert not Subscription.objects.filter(customer=customer).exists()

    # Too early: fulfillment's own retries may still be running somewhere.
    assert sweep_unfinished_work(now=timezone.now())["orders.fulfillment"] == 0

    later = timezone.now() + STALE_AFTER + timedelta(minutes=1)
    with celery_worker(second, **environment) as worker:
        assert sweep_unfinished_work(now=later)["orders.fulfillment"] == 1

        def activated() -> bool:
            order.refresh_from_db()
            return order.status == OrderStatus.ACTIVATED

        wait_for(activated, what="the swept order to be activated", process=worker)
        # Swept again at once: the order is finished, nothing is enqueued twice.
        assert sweep_unfinished_work(now=later)["orders.fulfillment"] == 0

    assert (pause / "calls").read_text().split() == [str(order.pk)] * 2
    assert Subscription.objects.filter(customer=customer).count() == 1
    assert notification_types(order) == ["ORDER_APPROVED", "ORDER_ACTIVATED"]


def test_a_task_that_started_and_never_ended_is_published_again_after_its_retry_window(
    tmp_path: Path,
):
    pause = tmp_path / "pause"
    pause.mkdir()
    (pause / "armed").touch()
    customer = ready_to_order(CustomerFactory())
    order = OrderFactory(customer=customer, plan=sim_plan())
    environment = {
        "PROVISIONING_ADAPTER": "tests.reliability.adapters.PausingProvisioningAdapter",
        "RELIABILITY_PAUSE_DIR": str(pause),
    }

    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    with celery_worker(first, **environment) as worker:
        approve_order(order_id=order.pk)
        wait_for(lambda: (pause / "waiting").exists(), what="provisioning to start", process=worker)
        os.killpg(worker.popen.pid, signal.SIGKILL)
        worker.popen.wait(timeout=10)

    message = OutboxMessage.objects.get(task_name=fulfill_order_task.name)
    assert message.started_at is not None and message.finished_at is None
    window = retry_window(fulfill_order_task)
    # Long past the two minutes of a message never picked up: it started, and its own
    # retries could still be running.
    assert outbox.requeue_lost(now=message.started_at + window - timedelta(seconds=1)) == 0

    with celery_worker(second, **environment) as worker:
        assert outbox.requeue_lost(now=message.started_at + window) == 1

        def activated() -> bool:
            order.refresh_from_db()
            return order.status == OrderStatus.ACTIVATED

        wait_for(activated, what="the message published again to activate it", process=worker)

    message.refresh_from_db()
    assert message.finished_at is not None and message.lost_count == 1
    assert (pause / "calls").read_text().split() == [str(order.pk)] * 2
    assert Subscription.objects.filter(customer=customer).count() == 1
    assert notification_types(order) == ["ORDER_APPROVED", "ORDER_ACTIVATED"]
