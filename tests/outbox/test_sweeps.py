"""The sweep enqueues again the work the database says is unfinished: once per row and
batch, oldest first, and shows what it had to enqueue twice as stuck."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from orders.models import Order, OrderStatus
from outbox import services as outbox
from outbox.models import OutboxMessage, SweepRecord
from outbox.selectors import count_stuck_workflows, stuck_workflows
from outbox.sweeps import registered_sweeps, sweep_unfinished_work
from subscriptions.models import CancellationRequest
from tests.factories import CancellationRequestFactory, OrderFactory, SubscriptionFactory
from tests.orders.support import notification_types, ready_to_order, sim_plan
from tests.reliability.support import unreachable_broker

pytestmark = pytest.mark.django_db


def _approved_order(customer, *, minutes_ago: int) -> Order:  # type: ignore[no-untyped-def]
    ready_to_order(customer)
    return OrderFactory(
        customer=customer,
        plan=sim_plan(),
        status=OrderStatus.APPROVED,
        approved_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


@pytest.fixture
def broker_down(monkeypatch):  # type: ignore[no-untyped-def]
    """Tasks go to the outbox and stay there: the sweep's effect is what it enqueued."""
    from portal.celery import app

    monkeypatch.setattr(outbox, "app", unreachable_broker())
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


def _enqueued(task_name: str) -> list[list[int]]:
    return list(OutboxMessage.objects.filter(task_name=task_name).values_list("args", flat=True))


def test_every_kind_of_unfinished_work_has_its_sweep():
    assert {sweep.name for sweep in registered_sweeps()} >= {
        "crm.events",
        "orders.fulfillment",
        "subscriptions.cancellation_scheduled_notification",
    }


def test_an_order_approved_long_ago_is_fulfilled_once(customer, django_capture_on_commit_callbacks):
    order = _approved_order(customer, minutes_ago=45)
    with django_capture_on_commit_callbacks(execute=True):
        counts = sweep_unfinished_work(now=timezone.now())
    assert counts["orders.fulfillment"] == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.ACTIVATED
    assert notification_types(order).count("ORDER_ACTIVATED") == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_unfinished_work(now=timezone.now())["orders.fulfillment"] == 0
    assert not SweepRecord.objects.exists()  # finished: nothing left to remember


def test_an_order_the_operator_is_finishing_is_not_the_sweeps(
    customer, django_capture_on_commit_callbacks
):
    ready_to_order(customer)
    order = OrderFactory(
        customer=customer,
        plan=sim_plan(),
        status=OrderStatus.PROVISIONING,
        provisioning_at=timezone.now() - timedelta(days=2),
        awaiting_operator=True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_unfinished_work(now=timezone.now())["orders.fulfillment"] == 0
    order.refresh_from_db()
    assert order.status == OrderStatus.PROVISIONING
    assert not SweepRecord.objects.exists()


def test_an_order_approved_minutes_ago_is_left_to_its_own_task(customer):
    _approved_order(customer, minutes_ago=5)
    assert sweep_unfinished_work(now=timezone.now())["orders.fulfillment"] == 0


def test_a_row_enqueued_again_is_left_to_its_task_and_then_shown_as_stuck(customer, broker_down):
    order = _approved_order(customer, minutes_ago=45)
    now = timezone.now()
    sweep_unfinished_work(now=now)
    sweep_unfinished_work(now=now + timedelta(minutes=5))
    assert _enqueued("orders.tasks.fulfill_order_task") == [[order.pk]]
    assert stuck_workflows() == []

    sweep_unfinished_work(now=now + timedelta(minutes=31))

    assert _enqueued("orders.tasks.fulfill_order_task") == [[order.pk], [order.pk]]
    [stuck] = stuck_workflows()
    assert (stuck.sweep, stuck.object_id, stuck.attempts) == ("orders.fulfillment", order.pk, 2)
    assert stuck.admin_url == f"/admin/orders/order/{order.pk}/change/"
    assert count_stuck_workflows() == 1


def test_a_batch_is_bounded_and_the_next_run_takes_the_rest_oldest_first(broker_down):
    from tests.factories import CustomerFactory

    orders = [_approved_order(CustomerFactory(), minutes_ago=60 - n) for n in range(3)]
    now = timezone.now()
    assert sweep_unfinished_work(now=now, batch_size=2)["orders.fulfillment"] == 2
    assert _enqueued("orders.tasks.fulfill_order_task") == [[orders[0].pk], [orders[1].pk]]
    assert sweep_unfinished_work(now=now, batch_size=2)["orders.fulfillment"] == 1
    assert _enqueued("orders.tasks.fulfill_order_task")[-1] == [orders[2].pk]


def test_a_cancellation_without_its_notification_is_notified_once(
    customer, django_capture_on_commit_callbacks
):
    subscription = SubscriptionFactory(customer=customer, status="cancellation_scheduled")
    cancellation = CancellationRequestFactory(
        customer=customer,
        subscription=subscription,
        requested_at=timezone.now() - timedelta(minutes=20),
    )
    with django_capture_on_commit_callbacks(execute=True):
        counts = sweep_unfinished_work(now=timezone.now())
    assert counts["subscriptions.cancellation_scheduled_notification"] == 1
    notified = Notification.objects.filter(
        user=customer.user, type="CANCELLATION_SCHEDULED", source_id=str(cancellation.pk)
    )
    assert notified.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        counts = sweep_unfinished_work(now=timezone.now())
    assert counts["subscriptions.cancellation_scheduled_notification"] == 0
    assert CancellationRequest.objects.count() == 1


def _received_event(customer, *, minutes_ago: int, attempts: int = 0):  # type: ignore[no-untyped-def]
    from crm.models import CrmEvent

    received = timezone.now() - timedelta(minutes=minutes_ago)
    payload = {
        "eventId": f"evt-{minutes_ago}-{attempts}",
        "type": "AccountChanged",
        "accountId": customer.crm_account_id,
        "occurredAt": received.isoformat(),
        "changes": {"residenceCardStatus": "verified"},
    }
    return CrmEvent.objects.create(
        event_id=payload["eventId"],
        type="AccountChanged",
        account_id=customer.crm_account_id,
        occurred_at=received,
        payload=payload,
        raw_body="{}",
        received_at=received,
        attempts=attempts,
    )


def test_a_crm_event_still_received_is_processed_once(django_capture_on_commit_callbacks):
    from crm.models import CrmEventState
    from tests.factories import CustomerFactory

    customer = CustomerFactory(crm_account_id="001SWEEP00000001")
    customer.residence_card_verification.status = "pending"
    customer.residence_card_verification.save()
    lost = _received_event(customer, minutes_ago=15)
    retrying = _received_event(customer, minutes_ago=20, attempts=2)  # its own retries run

    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_unfinished_work(now=timezone.now())["crm.events"] == 1

    lost.refresh_from_db()
    retrying.refresh_from_db()
    assert lost.state == CrmEventState.PROCESSED
    assert retrying.state == CrmEventState.RECEIVED
    assert Notification.objects.filter(type="VERIFICATION_VERIFIED").count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_unfinished_work(now=timezone.now())["crm.events"] == 0
