"""The broker is down when a customer cancels a service or support approves an order.

The request succeeds all the same, the work waits in the outbox (committed with the change),
and once the broker is back `outbox.services.dispatch_pending` (a beat task every minute)
publishes it: the task then runs once, with one notification and one subscription.

The first tests stand a broker back up in-process (it runs what is published, as a worker
would), so they run on any database; the last one does it all for real on PostgreSQL and
Redis with a Celery worker process.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts.models import Customer
from notifications.models import Notification
from orders.models import Order, OrderStatus
from outbox import services as outbox
from outbox.models import OutboxMessage
from portal.celery import app as celery_app
from subscriptions.models import CancellationRequest, Subscription
from subscriptions.services import offered_effective_dates
from tests.conftest import bearer_client
from tests.factories import CustomerFactory, OrderFactory, StaffUserFactory, SubscriptionFactory
from tests.orders.support import notification_types, ready_to_order, sim_plan
from tests.reliability.processes import celery_worker, wait_for
from tests.reliability.support import InProcessBroker, unreachable_broker

EMAIL_TASK = "notifications.tasks.send_notification_emails"
CANCELLATION_TASK = "subscriptions.tasks.send_cancellation_scheduled_notification"
FULFILLMENT_TASK = "orders.tasks.fulfill_order_task"


def _later() -> Any:
    """When the dispatcher next runs: past the grace it leaves to a row's own publish."""
    return timezone.now() + outbox.DISPATCH_GRACE + timedelta(seconds=1)


@pytest.fixture
def broker_down(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox, "app", unreachable_broker())


def _cancel_by_api(customer: Customer, subscription: Subscription) -> Any:
    effective_on = offered_effective_dates(now=timezone.now())[0]
    return bearer_client(customer.user).post(
        f"/api/subscriptions/{subscription.pk}/cancellation",
        {"effectiveOn": effective_on.isoformat(), "reason": "moving"},
        format="json",
    )


def _cancel_by_page(customer: Customer, subscription: Subscription) -> Any:
    client = Client()
    client.force_login(customer.user)
    effective_on = offered_effective_dates(now=timezone.now())[0]
    return client.post(
        f"/account/services/{subscription.pk}/cancel",
        {
            "step": "confirm",
            "effective_on": effective_on.isoformat(),
            "reason": "moving",
            "comments": "",
            "confirm": "on",
        },
        follow=True,
    )


def _approve_in_admin(order: Order) -> Any:
    client = Client()
    client.force_login(StaffUserFactory())
    return client.post(f"/admin/orders/order/{order.pk}/approve/", follow=True)


def _pending() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(sent_at__isnull=True))


# --- With a broker brought back in-process ----------------------------------------------


@pytest.mark.django_db
def test_a_cancellation_sent_while_the_broker_is_down_is_accepted_and_notified_once_it_is_back(
    customer, broker_down, monkeypatch, django_capture_on_commit_callbacks
):
    sim = SubscriptionFactory(customer=customer, plan=sim_plan())
    with django_capture_on_commit_callbacks(execute=True):
        response = _cancel_by_api(customer, sim)

    assert response.status_code == 202
    [message] = _pending()
    assert (message.task_name, message.args) == (CANCELLATION_TASK, [response.json()["id"]])
    assert message.attempts == 1 and "Error" in message.last_error
    assert not Notification.objects.filter(type="CANCELLATION_SCHEDULED").exists()

    broker = InProcessBroker()
    monkeypatch.setattr(outbox, "app", broker)
    assert outbox.dispatch_pending(now=_later()) == 1
    outbox.dispatch_pending(now=_later())  # the notification's email, queued by the task

    # The cancellation task was published once, not again.
    cancellations = [task for task in broker.delivered if task[0] == CANCELLATION_TASK]
    assert cancellations == [(CANCELLATION_TASK, [response.json()["id"]])]
    notification = Notification.objects.get(user=customer.user, type="CANCELLATION_SCHEDULED")
    assert notification.source_id == str(response.json()["id"])
    assert _pending() == []


@pytest.mark.django_db
def test_the_cancellation_page_succeeds_while_the_broker_is_down(
    customer, broker_down, monkeypatch, django_capture_on_commit_callbacks
):
    sim = SubscriptionFactory(customer=customer, plan=sim_plan())
    with django_capture_on_commit_callbacks(execute=True):
        response = _cancel_by_page(customer, sim)

    assert response.redirect_chain == [(f"/account/services/{sim.pk}", 302)]
    assert "Your cancellation is scheduled." in response.content.decode()
    sim.refresh_from_db()
    assert sim.status == "cancellation_scheduled"
    assert [message.task_name for message in _pending()] == [CANCELLATION_TASK]

    monkeypatch.setattr(outbox, "app", InProcessBroker())
    assert outbox.dispatch_pending(now=_later()) == 1
    assert Notification.objects.filter(type="CANCELLATION_SCHEDULED").count() == 1


@pytest.mark.django_db
def test_an_order_approved_while_the_broker_is_down_is_fulfilled_once_it_is_back(
    customer, broker_down, monkeypatch, django_capture_on_commit_callbacks
):
    ready_to_order(customer)
    order = OrderFactory(customer=customer, plan=sim_plan())
    with django_capture_on_commit_callbacks(execute=True):
        response = _approve_in_admin(order)

    assert response.status_code == 200
    assert f"{order.number} approved" in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.APPROVED
    # The customer hears about the approval at once; fulfillment waits for the broker.
    assert notification_types(order) == ["ORDER_APPROVED"]
    [message] = [message for message in _pending() if message.task_name != EMAIL_TASK]
    assert (message.task_name, message.args) == (FULFILLMENT_TASK, [order.pk])

    broker = InProcessBroker()
    monkeypatch.setattr(outbox, "app", broker)
    # The fulfillment task and the email of ORDER_APPROVED.
    assert outbox.dispatch_pending(now=_later()) == 2
    outbox.dispatch_pending(now=_later())  # the notifications' email, queued by the task
    assert [task for task in broker.delivered if task[0] == FULFILLMENT_TASK] == [
        (FULFILLMENT_TASK, [order.pk])
    ]

    order.refresh_from_db()
    assert order.status == OrderStatus.ACTIVATED
    assert Subscription.objects.filter(customer=customer).count() == 1
    assert notification_types(order) == ["ORDER_APPROVED", "ORDER_ACTIVATED"]


@pytest.mark.django_db
def test_a_broker_still_down_at_the_next_dispatch_keeps_the_work_pending(
    customer, broker_down, django_capture_on_commit_callbacks
):
    sim = SubscriptionFactory(customer=customer, plan=sim_plan())
    with django_capture_on_commit_callbacks(execute=True):
        assert _cancel_by_api(customer, sim).status_code == 202
    assert outbox.dispatch_pending(now=_later()) == 0
    [message] = _pending()
    assert message.attempts == 2
    assert CancellationRequest.objects.filter(subscription=sim).count() == 1


# --- For real: PostgreSQL, Redis and a Celery worker process ------------------------------


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_work_queued_during_an_outage_runs_on_a_real_worker_once_the_broker_is_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    customer = ready_to_order(CustomerFactory())
    sim = SubscriptionFactory(customer=customer, plan=sim_plan())
    order = OrderFactory(customer=customer, plan=sim_plan(code="sim-data-3gb"))
    queue = redis.Redis.from_url(settings.CELERY_BROKER_URL)

    with celery_worker(tmp_path) as worker:
        monkeypatch.setattr(outbox, "app", unreachable_broker())
        cancelled = _cancel_by_api(customer, sim)
        approved = _approve_in_admin(order)
        assert (cancelled.status_code, approved.status_code) == (202, 200)
        assert sorted(m.task_name for m in _pending() if m.task_name != EMAIL_TASK) == [
            FULFILLMENT_TASK,
            CANCELLATION_TASK,
        ]
        assert queue.llen(settings.CELERY_TASK_DEFAULT_QUEUE) == 0  # nothing reached Redis

        monkeypatch.setattr(outbox, "app", celery_app)  # the broker is back
        assert outbox.dispatch_pending(now=_later()) == 3  # with the email of ORDER_APPROVED

        def done() -> bool:
            order.refresh_from_db()
            notified = Notification.objects.filter(type="CANCELLATION_SCHEDULED").exists()
            return order.status == OrderStatus.ACTIVATED and notified

        wait_for(done, what="the worker to run the published tasks", process=worker)
        assert outbox.dispatch_pending(now=_later()) == 0

    assert _pending() == []
    assert Notification.objects.filter(type="CANCELLATION_SCHEDULED").count() == 1
    assert Subscription.objects.filter(customer=customer).count() == 2  # the SIM and the new one
    assert notification_types(order) == ["ORDER_APPROVED", "ORDER_ACTIVATED"]
