"""The broker is down when a customer cancels a service or pays, or support approves an order.

Nothing in the request touches the broker: the work is written to the outbox in the
request's transaction, and that is all; the dispatcher (`manage.py dispatch_outbox`, and the
beat task `dispatch_outbox`) publishes it once the broker answers. The task then runs once,
with one notification and one subscription.

The first tests stand a broker back up in-process (it runs what is published, as a worker
would), so they run on any database; the last ones do it all for real on PostgreSQL with a
Redis of the test's own, killed and started again, a web process as the Procfile runs it, the
dispatcher and a Celery worker.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from django.conf import settings
from django.test import Client
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import Customer
from notifications.models import Notification
from orders.models import Order, OrderStatus
from outbox import services as outbox
from outbox.models import OutboxMessage
from portal.celery import app as celery_app
from subscriptions.models import CancellationRequest, Subscription
from subscriptions.services import offered_effective_dates
from tests.conftest import bearer_client
from tests.factories import (
    CustomerFactory,
    InvoiceFactory,
    OrderFactory,
    StaffUserFactory,
    SubscriptionFactory,
)
from tests.orders.support import notification_types, ready_to_order, sim_plan
from tests.reliability.own_redis import own_redis
from tests.reliability.processes import asgi_server, celery_worker, wait_for
from tests.reliability.support import InProcessBroker, unreachable_broker

EMAIL_TASK = "notifications.tasks.send_notification_emails"
CANCELLATION_TASK = "subscriptions.tasks.send_cancellation_scheduled_notification"
FULFILLMENT_TASK = "orders.tasks.fulfill_order_task"


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
    # The request never tried the broker: it cost the customer nothing.
    assert (message.attempts, message.last_error) == (0, "")
    assert outbox.dispatch_pending(now=timezone.now()) == 0  # still down: it waits
    message.refresh_from_db()
    assert message.attempts == 1 and "Error" in message.last_error
    assert not Notification.objects.filter(type="CANCELLATION_SCHEDULED").exists()

    broker = InProcessBroker()
    monkeypatch.setattr(outbox, "app", broker)
    assert outbox.dispatch_pending(now=timezone.now()) == 1
    outbox.dispatch_pending(now=timezone.now())  # the notification's email, queued by the task

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
    assert outbox.dispatch_pending(now=timezone.now()) == 1
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
    assert outbox.dispatch_pending(now=timezone.now()) == 2
    outbox.dispatch_pending(now=timezone.now())  # the notifications' email, queued by the task
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
    assert outbox.dispatch_pending(now=timezone.now()) == 0
    assert outbox.dispatch_pending(now=timezone.now()) == 0
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

    # The dispatcher is this process, with a broker that is down and then back.
    with celery_worker(tmp_path, dispatcher=False) as worker:
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
        assert outbox.dispatch_pending(now=timezone.now()) == 3  # with the email of ORDER_APPROVED

        def done() -> bool:
            order.refresh_from_db()
            notified = Notification.objects.filter(type="CANCELLATION_SCHEDULED").exists()
            return order.status == OrderStatus.ACTIVATED and notified

        wait_for(done, what="the worker to run the published tasks", process=worker)

        def all_published() -> bool:
            outbox.dispatch_pending(now=timezone.now())  # what the tasks queued: their emails
            return not _pending()

        wait_for(all_published, what="the tasks' own work to be published", process=worker)

    assert _pending() == []
    assert Notification.objects.filter(type="CANCELLATION_SCHEDULED").count() == 1
    assert Subscription.objects.filter(customer=customer).count() == 2  # the SIM and the new one
    assert notification_types(order) == ["ORDER_APPROVED", "ORDER_ACTIVATED"]


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_with_the_broker_killed_a_web_process_answers_writes_without_touching_it(
    tmp_path: Path,
):
    customer = ready_to_order(CustomerFactory())
    sim = SubscriptionFactory(customer=customer, plan=sim_plan())
    invoice = InvoiceFactory(customer=customer, total=Decimal("3300"), tax=Decimal("300"))
    headers = {"Authorization": f"Bearer {RefreshToken.for_user(customer.user).access_token}"}
    effective_on = offered_effective_dates(now=timezone.now())[0].isoformat()
    queue = settings.CELERY_TASK_DEFAULT_QUEUE

    with own_redis(tmp_path) as broker:
        broker_env = {"CELERY_BROKER_URL": broker.url(1), "CELERY_TASK_DEFAULT_QUEUE": queue}
        with asgi_server(tmp_path, **broker_env) as base_url:
            broker.kill()
            cancelled = requests.post(
                f"{base_url}/api/subscriptions/{sim.pk}/cancellation",
                json={"effectiveOn": effective_on, "reason": "moving"},
                headers=headers,
                timeout=30,
            )
            paid = requests.post(
                f"{base_url}/api/invoices/{invoice.pk}/payments",
                json={},
                headers={**headers, "Idempotency-Key": "outage-payment-1"},
                timeout=30,
            )

        assert (cancelled.status_code, paid.status_code) == (202, 201), paid.text
        messages = list(OutboxMessage.objects.all())
        assert CANCELLATION_TASK in {message.task_name for message in messages}
        # Not one publish was tried in the requests: the broker cost them nothing.
        assert {(m.sent_at, m.attempts, m.last_error) for m in messages} == {(None, 0, "")}

        broker.start()  # back, empty; the dispatcher and a worker take it from here
        with celery_worker(tmp_path, **broker_env, REDIS_URL=broker.url(0)) as worker:

            def done() -> bool:
                notified = Notification.objects.filter(type="CANCELLATION_SCHEDULED").exists()
                return notified and not _pending()

            wait_for(done, what="the dispatcher and the worker to catch up", process=worker)

    assert Notification.objects.filter(type="CANCELLATION_SCHEDULED").count() == 1
    assert all(message.finished_at for message in OutboxMessage.objects.all())
