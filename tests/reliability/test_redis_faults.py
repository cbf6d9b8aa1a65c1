"""Redis fails for real: a Redis the test starts on a port of its own, then kills or restarts
empty (never the shared one).

With Redis down, logins, reads and writes succeed (the cache fails open, tasks wait in the
outbox). After a broker restart that lost messages the outbox had already marked sent, the
outbox finds each message that was never picked up two minutes after it was sent, and the
sweep every unfinished workflow in the database; a real Celery worker completes each one
exactly once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from accounts.models import Customer
from crm.models import CrmEvent, CrmEventState
from notifications.models import Notification
from orders.models import Order, OrderStatus
from orders.services.review import approve_order
from outbox import services as outbox
from outbox.models import OutboxMessage
from outbox.sweeps import sweep_unfinished_work
from portal.celery import app as celery_app
from subscriptions.models import CancellationRequest, Subscription
from subscriptions.services import offered_effective_dates
from tests.conftest import bearer_client
from tests.crm.support import WEBHOOK_SECRET, event_body, post_event
from tests.factories import (
    PASSWORD,
    CustomerFactory,
    NotificationFactory,
    OrderFactory,
    StaffUserFactory,
    SubscriptionFactory,
)
from tests.orders.support import notification_types, ready_to_order, sim_plan
from tests.reliability.own_redis import OwnRedis, own_redis
from tests.reliability.processes import celery_worker, wait_for

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[OwnRedis]:
    with own_redis(tmp_path) as server:
        yield server


def _broker(url: str, queue: str) -> Celery:
    """What the web process publishes with, pointed at our own Redis."""
    app = Celery("own-redis", set_as_current=False)
    app.conf.broker_write_url = url
    app.conf.broker_connection_timeout = 1
    app.conf.broker_connection_retry = False
    app.conf.task_default_queue = queue
    return app


@pytest.fixture
def portal_on_own_redis(redis_server: OwnRedis, settings: Any, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The cache and the broker of this process on our own Redis; tasks go to the broker."""
    # The same queue name as ever: it is on our own Redis.
    queue = django_settings.CELERY_TASK_DEFAULT_QUEUE
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_server.url(0),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    monkeypatch.setattr(outbox, "app", _broker(redis_server.url(1), queue))
    celery_app.conf.task_always_eager = False
    yield queue
    celery_app.conf.task_always_eager = True


def _cancellation(customer: Customer, subscription: Subscription) -> Any:
    effective_on = offered_effective_dates(now=timezone.now())[0]
    return bearer_client(customer.user).post(
        f"/api/subscriptions/{subscription.pk}/cancellation",
        {"effectiveOn": effective_on.isoformat(), "reason": "moving"},
        format="json",
    )


@pytest.mark.django_db
def test_with_redis_down_logins_reads_and_writes_succeed(
    redis_server, portal_on_own_redis, django_capture_on_commit_callbacks
):
    customer = ready_to_order(CustomerFactory())
    subscription = SubscriptionFactory(customer=customer, plan=sim_plan(code="sim-old"))
    NotificationFactory(user=customer.user)
    pending_review = OrderFactory(customer=CustomerFactory(), plan=sim_plan())
    staff = StaffUserFactory()
    api = bearer_client(customer.user)
    assert api.get("/api/me/status").status_code == 200  # cached while Redis is up

    redis_server.kill()

    credentials = {"email": customer.user.email, "password": PASSWORD}
    assert (
        Client().post("/api/auth/token", credentials, content_type="application/json").status_code
        == 200
    )
    page = Client()
    assert page.post("/login", credentials).status_code == 302
    assert page.get("/account/").status_code == 200
    assert api.get("/api/me/status").status_code == 200
    assert api.get("/api/notifications").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            api.post("/api/orders", {"planCode": sim_plan().code}, format="json").status_code == 201
        )
        assert _cancellation(customer, subscription).status_code == 202
        eligibility = {"postalCode": "150-0002", "address": "1-2-3 Shibuya, Tokyo"}
        assert (
            api.post("/api/me/internet-eligibility", eligibility, format="json").status_code == 202
        )
        assert api.post("/api/notifications/read-all").status_code == 200
        admin = Client()
        admin.force_login(staff)
        assert admin.post(f"/admin/orders/order/{pending_review.pk}/approve/").status_code == 302

    pending_review.refresh_from_db()
    assert pending_review.status == OrderStatus.APPROVED
    # The work they started waits for the broker, committed with the change.
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() >= 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_after_a_broker_restart_that_lost_messages_every_workflow_completes_exactly_once(
    redis_server, portal_on_own_redis, tmp_path, settings
):
    queue = portal_on_own_redis
    settings.CRM_WEBHOOK_SECRET = WEBHOOK_SECRET
    customer = ready_to_order(CustomerFactory(crm_account_id="001FAULT00000001"))
    customer.residence_card_verification.status = "pending"
    customer.residence_card_verification.save()
    order = OrderFactory(customer=customer, plan=sim_plan())
    subscription = SubscriptionFactory(customer=customer, plan=sim_plan(code="sim-old"))

    # Three workflows start; the dispatcher publishes each to the broker (this process, to
    # our own Redis), and no worker runs yet.
    approve_order(order_id=order.pk)
    assert _cancellation(customer, subscription).status_code == 202
    body = event_body(account_id="001FAULT00000001", changes={"residenceCardStatus": "verified"})
    assert post_event(Client(), body).status_code == 202
    assert outbox.dispatch_pending(now=timezone.now()) >= 3
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()

    redis_server.restart()  # without persistence: every message is gone

    cancellation = CancellationRequest.objects.get()
    event = CrmEvent.objects.get()
    later = timezone.now() + timedelta(hours=2)
    with celery_worker(
        tmp_path,
        CELERY_BROKER_URL=redis_server.url(1),
        CELERY_TASK_DEFAULT_QUEUE=queue,
        REDIS_URL=redis_server.url(0),
    ) as worker:
        counts = sweep_unfinished_work(now=later)
        assert counts["orders.fulfillment"] == 1
        assert counts["subscriptions.cancellation_scheduled_notification"] == 1
        assert counts["crm.events"] == 1

        def finished() -> bool:
            order.refresh_from_db()
            event.refresh_from_db()
            notified = Notification.objects.filter(
                type="CANCELLATION_SCHEDULED", source_id=str(cancellation.pk)
            ).exists()
            return (
                order.status == OrderStatus.ACTIVATED
                and event.state == CrmEventState.PROCESSED
                and notified
            )

        wait_for(finished, what="the swept workflows to complete", process=worker, timeout=90)
        # Finished: the next sweep finds nothing, so nothing runs twice.
        assert set(sweep_unfinished_work(now=later).values()) == {0}

    assert Subscription.objects.filter(customer=customer).count() == 2  # the old one and the new
    assert notification_types(order).count("ORDER_ACTIVATED") == 1
    assert notification_types(order).count("ORDER_APPROVED") == 1
    assert Notification.objects.filter(type="CANCELLATION_SCHEDULED").count() == 1
    assert Notification.objects.filter(type="VERIFICATION_VERIFIED").count() == 1
    assert Order.objects.get(pk=order.pk).subscription is not None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_approved_order_whose_message_was_lost_is_activated_once_within_two_minutes(
    redis_server, portal_on_own_redis, tmp_path
):
    queue = portal_on_own_redis
    customer = ready_to_order(CustomerFactory())
    order = OrderFactory(customer=customer, plan=sim_plan())
    approve_order(order_id=order.pk)
    outbox.dispatch_pending(now=timezone.now())  # to our own Redis; no worker runs yet
    [message] = OutboxMessage.objects.filter(task_name="orders.tasks.fulfill_order_task")
    assert message.sent_at is not None

    redis_server.restart()  # without persistence: the message is gone
    restarted = timezone.now()
    environment = {
        "CELERY_BROKER_URL": redis_server.url(1),
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "REDIS_URL": redis_server.url(0),
    }
    with celery_worker(tmp_path, **environment) as worker:
        # The dispatcher and the worker run on the real clock; the two minutes are moved on.
        assert message.sent_at is not None
        not_yet = message.sent_at + outbox.LOST_AFTER - timedelta(seconds=1)
        assert outbox.requeue_lost(now=not_yet) == 0
        # Two minutes after the restart at the latest, it was never picked up: lost.
        assert outbox.requeue_lost(now=restarted + outbox.LOST_AFTER) >= 1

        def activated() -> bool:
            order.refresh_from_db()
            return order.status == OrderStatus.ACTIVATED

        wait_for(activated, what="the order's message published again to run", process=worker)

        def all_finished() -> bool:
            return not OutboxMessage.objects.filter(finished_at__isnull=True).exists()

        wait_for(all_finished, what="every task to record its end", process=worker)
        # Finished: never taken as lost again, however late.
        assert outbox.requeue_lost(now=restarted + timedelta(hours=2)) == 0

    message.refresh_from_db()
    assert message.lost_count == 1
    assert message.started_at is not None and message.finished_at is not None
    assert Subscription.objects.filter(customer=customer).count() == 1
    assert notification_types(order) == ["ORDER_APPROVED", "ORDER_ACTIVATED"]
