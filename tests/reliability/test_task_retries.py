"""Every background task survives the database going away for a moment: it retries.

For each task the database fails its first statement with the error a restarting
PostgreSQL gives (`OperationalError`); the task must schedule a retry (never drop the work),
and the retry completes it. The billing task's outside world is the payment processor, so
there it is the processor that does not answer once. `RETRIED` lists every task of the
project; the outbox's beat tasks are left to their schedule instead (the next run, a minute
or a day later, does the same work), and a task in neither list fails the test. The real thing, a connection killed under a worker
process, is tests/reliability/test_database_outage.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from celery.exceptions import Retry
from django.utils import timezone

import crm.services
from billing.models import BillingRun, Payment
from crm.models import CrmEvent, CrmEventState
from crm.parsers import ParsedEvent
from notifications.models import Announcement, Notification
from notifications.services.announcements import queue_announcement
from orders.models import OrderStatus
from orders.services.review import approve_order
from portal.celery import app as celery_app
from tests.factories import (
    CancellationRequestFactory,
    CustomerFactory,
    InvoiceFactory,
    NotificationFactory,
    OrderFactory,
    PaymentMethodFactory,
)
from tests.orders.support import ready_to_order, sim_plan
from tests.reliability.support import ProcessorDownOnce, database_fails_on

pytestmark = pytest.mark.django_db


@contextmanager
def _database_goes_away_once() -> Iterator[None]:
    with database_fails_on(times=1) as failed:
        yield
    assert failed, "the task ran no SQL: nothing went away under it"


@dataclass(frozen=True)
class Retried:
    # Makes what the task works on; returns its arguments and a check that it was done.
    prepare: Callable[[], tuple[list[Any], Callable[[], bool]]]
    # What goes wrong under the task's first attempt.
    outage: Callable[[], AbstractContextManager[None]] = _database_goes_away_once


def _approved_order() -> tuple[list[Any], Callable[[], bool]]:
    order = OrderFactory(customer=ready_to_order(CustomerFactory()), plan=sim_plan())
    approve_order(order_id=order.pk)

    def activated() -> bool:
        order.refresh_from_db()
        return order.status == OrderStatus.ACTIVATED

    return [order.pk], activated


def _crm_event() -> tuple[list[Any], Callable[[], bool]]:
    customer = CustomerFactory()
    event, _created = crm.services.receive_crm_event(
        event=ParsedEvent(
            event_id="evt-retry",
            type="AccountChanged",
            account_id=customer.crm_account_id,
            occurred_at=timezone.now(),
            payload={"changes": {"internetEligibilityStatus": "eligible"}},
            raw_body="{}",
        ),
        now=timezone.now(),
    )

    def processed() -> bool:
        event.refresh_from_db()
        return event.state == CrmEventState.PROCESSED

    return [event.pk], processed


def _cancellation() -> tuple[list[Any], Callable[[], bool]]:
    request = CancellationRequestFactory()
    return [request.pk], Notification.objects.filter(type="CANCELLATION_SCHEDULED").exists


def _announcement() -> tuple[list[Any], Callable[[], bool]]:
    CustomerFactory()
    draft = Announcement.objects.create(title="Maintenance", message="Tonight.")
    queue_announcement(announcement_id=draft.pk)
    return [draft.pk], Notification.objects.filter(type="SYSTEM_ANNOUNCEMENT").exists


def _scheduled_announcement() -> tuple[list[Any], Callable[[], bool]]:
    CustomerFactory()
    Announcement.objects.create(
        title="Maintenance",
        message="Tonight.",
        status="scheduled",
        scheduled_for=timezone.now() - timedelta(minutes=1),
    )
    return [], lambda: not Announcement.objects.filter(status="scheduled").exists()


def _pending_payment() -> tuple[list[Any], Callable[[], bool]]:
    invoice = InvoiceFactory()
    method = PaymentMethodFactory(customer=invoice.customer, is_default=True)
    payment = Payment.objects.create(
        customer=invoice.customer,
        invoice=invoice,
        payment_method=method,
        idempotency_key="left-pending",
        amount=invoice.total,
        created_at=timezone.now(),
    )
    return [payment.pk], Payment.objects.filter(pk=payment.pk, status="succeeded").exists


def _notification_email() -> tuple[list[Any], Callable[[], bool]]:
    from notifications.models import NotificationEmail

    notification = NotificationFactory()
    email = NotificationEmail.objects.create(
        key=f"notification:{notification.pk}",
        user=notification.user,
        notification=notification,
        created_at=timezone.now(),
    )
    return [[email.pk]], NotificationEmail.objects.filter(pk=email.pk, sent_at__isnull=False).exists


def _push_delivery() -> tuple[list[Any], Callable[[], bool]]:
    from notifications.models import Device, PushDelivery

    notification = NotificationFactory()
    now = timezone.now()
    device = Device.objects.create(
        user=notification.user, platform="ios", token="retried", created_at=now, last_seen_at=now
    )
    delivery = PushDelivery.objects.create(
        key=f"{device.pk}:notification:{notification.pk}",
        device=device,
        user=notification.user,
        notification=notification,
        created_at=now,
    )
    # No FCM credentials in the tests' settings: the push is logged, which is its success.
    return [[delivery.pk]], PushDelivery.objects.filter(pk=delivery.pk, status="logged").exists


def _nothing() -> tuple[list[Any], Callable[[], bool]]:
    return [], lambda: True


def _stopped_billing_run() -> tuple[list[Any], Callable[[], bool]]:
    run = BillingRun.objects.create(period_start=date(2026, 11, 1), started_at=timezone.now())
    return [run.pk], lambda: BillingRun.objects.get(pk=run.pk).status == "completed"


def _customer() -> tuple[list[Any], Callable[[], bool]]:
    return [CustomerFactory().pk], lambda: True


def _reference() -> tuple[list[Any], Callable[[], bool]]:
    return ["pm_test_gone"], lambda: ProcessorDownOnce.calls == 2


@contextmanager
def _processor_goes_away_once() -> Iterator[None]:
    ProcessorDownOnce.calls = 0
    yield
    assert ProcessorDownOnce.calls == 1


RETRIED: dict[str, Retried] = {
    "orders.tasks.fulfill_order_task": Retried(_approved_order),
    "accounts.tasks.process_crm_event_task": Retried(_crm_event),
    "subscriptions.tasks.send_cancellation_scheduled_notification": Retried(_cancellation),
    "subscriptions.tasks.complete_due_cancellations": Retried(_nothing),
    "notifications.tasks.send_announcement": Retried(_announcement),
    "notifications.tasks.send_invoice_due_reminders": Retried(_nothing),
    "notifications.tasks.send_payment_method_expiring_reminders": Retried(_nothing),
    "notifications.tasks.send_residence_card_expiring_reminders": Retried(_nothing),
    "notifications.tasks.queue_due_announcements": Retried(_scheduled_announcement),
    "notifications.tasks.purge_expired_notifications": Retried(_nothing),
    "notifications.tasks.send_notification_emails": Retried(_notification_email),
    "notifications.tasks.retry_notification_emails": Retried(_nothing),
    "notifications.tasks.send_push_notifications": Retried(_push_delivery),
    "notifications.tasks.retry_push_notifications": Retried(_nothing),
    "billing.tasks.detach_payment_method_task": Retried(
        _reference, outage=_processor_goes_away_once
    ),
    "billing.tasks.complete_payment_task": Retried(_pending_payment),
    "billing.tasks.billing_run": Retried(_nothing),
    "billing.tasks.resume_billing_run_task": Retried(_stopped_billing_run),
    "billing.tasks.collect_payments": Retried(_nothing),
    "billing.tasks.suspend_overdue": Retried(_nothing),
    "billing.tasks.restore_services_task": Retried(_customer),
}
LEFT_TO_THE_SCHEDULE = {
    "outbox.tasks.dispatch_outbox",
    "outbox.tasks.purge_sent_outbox",
    "outbox.tasks.sweep_unfinished_work",
    "notifications.tasks.queue_due_announcements",
}
OUR_APPS = ("accounts.", "billing.", "crm.", "dashboard.", "notifications.", "orders.", "outbox.")
OUR_APPS += ("subscriptions.",)


def test_every_task_is_either_retried_or_left_to_its_schedule() -> None:
    celery_app.loader.import_default_modules()  # every app's tasks.py, as a worker loads them
    ours = {name for name in celery_app.tasks if name.startswith(OUR_APPS)}
    assert ours == set(RETRIED) | LEFT_TO_THE_SCHEDULE


@pytest.mark.parametrize("name", sorted(RETRIED))
def test_a_task_retries_when_the_database_goes_away_and_then_does_its_work(
    name: str, settings: Any
) -> None:
    settings.PAYMENT_PROCESSOR = "tests.reliability.support.ProcessorDownOnce"
    celery_app.loader.import_default_modules()
    entry = RETRIED[name]
    args, done = entry.prepare()

    with entry.outage(), pytest.raises(Retry) as retry:
        celery_app.tasks[name].apply(args=args)

    assert retry.value.when is not None  # scheduled, with the task's own backoff
    retry.value.sig.apply(throw=True)  # what the worker runs when the countdown is over
    assert done()


# Outside a test transaction, as a worker runs: a failed UPDATE there dooms the whole
# transaction, where a worker in autocommit just goes on.
@pytest.mark.django_db(transaction=True)
def test_a_crm_event_is_retried_even_when_its_failure_cannot_be_recorded() -> None:
    args, processed = _crm_event()

    # The database is down: processing fails, and so does recording the failed attempt.
    with database_fails_on(times=2) as failed, pytest.raises(Retry) as retry:
        celery_app.tasks["accounts.tasks.process_crm_event_task"].apply(args=args)
    assert len(failed) == 2

    retry.value.sig.apply(throw=True)
    assert processed()
    assert CrmEvent.objects.get().error == ""
