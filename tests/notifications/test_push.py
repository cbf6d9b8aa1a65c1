"""Push to the mobile apps, against a stand-in for FCM that each test starts on 127.0.0.1.

The rule of the contract: a notification shown in-app whose category has push on is sent
once to each of the customer's devices, after the commit that created it, through FCM's
HTTP v1 API with OAuth2 service-account credentials; title, message, action URL and the
unseen count, in the customer's language. Retries and concurrent duplicates send once; a
recorded success is never sent again; a device FCM calls unregistered is forgotten.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.utils import timezone

from billing.services.reminders import notify_invoice_due
from notifications import fcm as fcm_client
from notifications import push, tasks
from notifications.models import Device, Notification, PushDelivery, PushStatus
from notifications.services.inbox import mark_read
from notifications.services.notify import notify, notify_many
from notifications.services.preferences import update_notification_preferences
from tests.notifications.concurrency import run_at_once
from tests.notifications.fcm import (  # noqa: F401 (the fixture)
    PROJECT,
    Answer,
    Fcm,
    fcm_standin,
    internal_error,
    quota_exceeded,
    unregistered,
)

pytestmark = pytest.mark.django_db


def phone(customer, token: str = "fcm-token-1", platform: str = "android") -> Device:
    now = timezone.now()
    return Device.objects.create(
        user=customer.user, platform=platform, token=token, created_at=now, last_seen_at=now
    )


def verified(customer, source_id: str = "1") -> Notification | None:
    return notify(user=customer.user, type="VERIFICATION_VERIFIED", source_id=source_id, context={})


def announce(user_ids: list[int], source_id: str = "9") -> int:
    return notify_many(
        user_ids=user_ids,
        type="SYSTEM_ANNOUNCEMENT",
        source_id=source_id,
        context={"title": "Maintenance", "message": "Tonight.", "announcement_id": int(source_id)},
    )


def test_a_notification_is_pushed_once_to_each_device_after_commit(
    fcm: Fcm, customer, django_capture_on_commit_callbacks
):
    android = phone(customer, "token-android")
    ios = phone(customer, "token-ios", "ios")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = verified(customer)
        assert notification is not None
    assert fcm.requests == []  # nothing before the commit
    for callback in callbacks:
        callback()
    messages = {message["token"]: message for message in fcm.accepted}
    assert set(messages) == {"token-android", "token-ios"}
    message = messages["token-ios"]
    assert message["notification"] == {
        "title": "Your residence card is verified",
        "body": "Thank you. Your identity is verified, so you can now order a SIM.",
    }
    assert message["data"]["actionUrl"] == "/account/orders/new"
    assert message["data"]["notificationId"] == str(notification.pk)
    assert message["data"]["unseenCount"] == "1"
    assert message["apns"]["payload"]["aps"]["badge"] == 1
    assert messages["token-android"]["android"]["notification"]["notification_count"] == 1
    # OAuth2: one token from the key file's token_uri, used as the Bearer of every send.
    assert len(fcm.token_requests) == 1
    assert fcm.token_requests[0]["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    assert {headers["authorization"] for headers, _body, _status in fcm.requests} == {
        "Bearer standin-access-1"
    }
    deliveries = PushDelivery.objects.order_by("device_id")
    assert [(d.device_id, d.status) for d in deliveries] == [
        (android.pk, PushStatus.SENT),
        (ios.pk, PushStatus.SENT),
    ]
    assert all(d.message_name.startswith(f"projects/{PROJECT}/messages/") for d in deliveries)


def test_the_push_speaks_the_customers_language(
    fcm: Fcm, customer, django_capture_on_commit_callbacks
):
    customer.language = "ja"
    customer.save()
    phone(customer)
    with django_capture_on_commit_callbacks(execute=True):
        verified(customer)
    [message] = fcm.accepted
    assert message["notification"]["title"] == "在留カードの確認が完了しました"
    assert message["data"]["language"] == "ja"


def test_a_category_with_push_off_sends_nothing(
    fcm: Fcm, customer, django_capture_on_commit_callbacks
):
    phone(customer)
    update_notification_preferences(user=customer.user, changes={"account": {"push": False}})
    with django_capture_on_commit_callbacks(execute=True):
        verified(customer)
    assert fcm.requests == []
    assert not PushDelivery.objects.exists()


def test_a_category_hidden_in_app_is_not_pushed(
    fcm: Fcm, customer, django_capture_on_commit_callbacks
):
    phone(customer)
    update_notification_preferences(user=customer.user, changes={"account": {"in_app": False}})
    with django_capture_on_commit_callbacks(execute=True):
        verified(customer)
    assert fcm.requests == []


def test_announcements_are_pushed_only_to_those_who_asked(
    fcm: Fcm, customer, other_customer, django_capture_on_commit_callbacks
):
    phone(customer, "token-a")
    phone(other_customer, "token-b")
    update_notification_preferences(user=customer.user, changes={"announcements": {"push": True}})
    with django_capture_on_commit_callbacks(execute=True):
        announce([customer.user.pk, other_customer.user.pk])
    assert [message["token"] for message in fcm.accepted] == ["token-a"]
    assert fcm.accepted[0]["notification"]["title"] == "Maintenance"


def test_a_customer_without_devices_queues_nothing(
    fcm: Fcm, customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        verified(customer)
    assert not PushDelivery.objects.exists() and fcm.requests == []


def test_running_the_task_again_after_a_success_sends_nothing(
    fcm: Fcm, customer, django_capture_on_commit_callbacks
):
    phone(customer)
    with django_capture_on_commit_callbacks(execute=True):
        verified(customer)
    delivery = PushDelivery.objects.get()
    assert tasks.send_push_notifications.delay([delivery.pk]).get() == 0
    assert push.send_push(delivery_id=delivery.pk) is False
    later = timezone.now() + timedelta(hours=1)
    assert push.retry_unsent_push_notifications(now=later) == 0
    assert len(fcm.requests) == 1


def test_quota_exceeded_waits_for_retry_after_then_sends_once(
    fcm: Fcm, customer, django_capture_on_commit_callbacks
):
    phone(customer)
    with django_capture_on_commit_callbacks(execute=False):
        verified(customer)
    delivery = PushDelivery.objects.get()
    fcm.script = [quota_exceeded(retry_after="120")]
    with pytest.raises(Retry) as first:
        tasks.send_push_notifications.apply(args=[[delivery.pk]])
    # Honoured: the task comes back no sooner than FCM asked.
    assert first.value.when == 120  # seconds
    delivery.refresh_from_db()
    assert delivery.status == PushStatus.PENDING and "429" in delivery.last_error
    assert delivery.not_before is not None
    # A duplicate that comes before then sends nothing, and is told to wait too.
    with pytest.raises(Retry):
        tasks.send_push_notifications.apply(args=[[delivery.pk]])
    assert len(fcm.requests) == 1
    # When the countdown is over, what the worker runs then sends it.
    push.send_push(delivery_id=delivery.pk, now=delivery.not_before + timedelta(seconds=1))
    delivery.refresh_from_db()
    assert delivery.status == PushStatus.SENT and delivery.attempts == 2
    assert len(fcm.accepted) == 1
    first.value.sig.apply(throw=True)  # the retry, late: nothing more
    assert len(fcm.accepted) == 1


def test_a_server_error_backs_off_and_the_retry_sends_once(
    fcm: Fcm, customer, django_capture_on_commit_callbacks
):
    phone(customer)
    with django_capture_on_commit_callbacks(execute=False):
        verified(customer)
    delivery = PushDelivery.objects.get()
    fcm.script = [internal_error(), internal_error()]
    with pytest.raises(Retry) as first:
        tasks.send_push_notifications.apply(args=[[delivery.pk]])
    assert first.value.when is not None  # the task's own backoff: FCM named no time
    with pytest.raises(Retry) as second:
        first.value.sig.apply(throw=True)
    second.value.sig.apply(throw=True)
    delivery.refresh_from_db()
    assert delivery.status == PushStatus.SENT and delivery.attempts == 3
    assert [status for _h, _b, status in fcm.requests] == [500, 500, 200]
    second.value.sig.apply(throw=True)  # a late duplicate of the retry
    assert len(fcm.accepted) == 1


def test_the_countdown_is_at_least_retry_after_and_backs_off():
    slow_down = fcm_client.PushRetryLater("429", retry_after=300)
    assert tasks.push_retry_countdown(slow_down, retries=0) == 300
    unnamed = fcm_client.PushRetryLater("500")
    assert 15 <= tasks.push_retry_countdown(unnamed, retries=0) <= 30
    assert 15 * 60 <= tasks.push_retry_countdown(unnamed, retries=10) <= 30 * 60
    assert fcm_client.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0
    assert fcm_client.parse_retry_after("999999") == fcm_client.MAX_RETRY_AFTER
    assert fcm_client.parse_retry_after("soon") is None


def test_a_batch_stops_at_quota_exceeded_and_the_retry_sends_the_rest(
    fcm: Fcm, customer, django_capture_on_commit_callbacks
):
    phone(customer, "token-1")
    phone(customer, "token-2")
    phone(customer, "token-3")
    with django_capture_on_commit_callbacks(execute=False):
        verified(customer)
    ids = list(PushDelivery.objects.order_by("pk").values_list("pk", flat=True))
    fcm.script = [Answer(200), quota_exceeded(retry_after="1")]
    with pytest.raises(Retry) as retry:
        tasks.send_push_notifications.apply(args=[ids])
    assert len(fcm.requests) == 2  # the third was not tried while FCM asked to slow down
    PushDelivery.objects.update(not_before=None)  # the second is over
    retry.value.sig.apply(throw=True)
    assert sorted(message["token"] for message in fcm.accepted) == ["token-1", "token-2", "token-3"]
    assert len(fcm.accepted) == 3


def test_a_device_fcm_calls_unregistered_is_forgotten(
    fcm: Fcm, customer, django_capture_on_commit_callbacks
):
    gone = phone(customer, "token-gone")
    kept = phone(customer, "token-kept")
    with django_capture_on_commit_callbacks(execute=False):
        verified(customer)
    gone_delivery = PushDelivery.objects.get(device=gone)
    fcm.script = [unregistered()]
    assert push.send_push(delivery_id=gone_delivery.pk) is False
    assert not Device.objects.filter(pk=gone.pk).exists()
    assert not PushDelivery.objects.filter(pk=gone_delivery.pk).exists()
    # The others go on as usual, and the next notification skips the forgotten one.
    kept_delivery = PushDelivery.objects.get(device=kept)
    assert push.send_push(delivery_id=kept_delivery.pk) is True
    with django_capture_on_commit_callbacks(execute=True):
        verified(customer, "2")
    assert [message["token"] for message in fcm.accepted] == ["token-kept", "token-kept"]


def test_a_refused_message_is_marked_failed_and_not_retried(
    fcm: Fcm, customer, django_capture_on_commit_callbacks
):
    phone(customer)
    fcm.script = [Answer(400, {"error": {"code": 400, "status": "INVALID_ARGUMENT"}})]
    with django_capture_on_commit_callbacks(execute=True):
        verified(customer)
    delivery = PushDelivery.objects.get()
    assert delivery.status == PushStatus.FAILED and "INVALID_ARGUMENT" in delivery.last_error
    assert push.retry_unsent_push_notifications(now=timezone.now() + timedelta(hours=1)) == 0


def test_a_device_that_moved_to_another_customer_gets_nothing_of_the_first(
    fcm: Fcm, customer, other_customer, django_capture_on_commit_callbacks
):
    device = phone(customer)
    with django_capture_on_commit_callbacks(execute=False):
        verified(customer)
    Device.objects.filter(pk=device.pk).update(user=other_customer.user)
    delivery = PushDelivery.objects.get()
    assert push.send_push(delivery_id=delivery.pk) is False
    delivery.refresh_from_db()
    assert delivery.status == PushStatus.SKIPPED and fcm.requests == []


def test_a_notification_read_before_the_push_is_not_pushed(
    fcm: Fcm, customer, django_capture_on_commit_callbacks
):
    phone(customer)
    with django_capture_on_commit_callbacks(execute=False):
        notification = verified(customer)
    assert notification is not None
    mark_read(user=customer.user, notification_id=notification.pk)
    delivery = PushDelivery.objects.get()
    assert push.send_push(delivery_id=delivery.pk) is False
    assert fcm.requests == []


def test_a_lost_task_is_sent_by_the_sweep(fcm: Fcm, customer, django_capture_on_commit_callbacks):
    phone(customer)
    with django_capture_on_commit_callbacks(execute=False):
        verified(customer)  # the task is never run: lost on the way
    now = timezone.now()
    assert push.retry_unsent_push_notifications(now=now + timedelta(minutes=5)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert push.retry_unsent_push_notifications(now=now + timedelta(minutes=20)) == 1
    assert len(fcm.accepted) == 1
    # A day later it is too late to buzz anyone.
    assert push.retry_unsent_push_notifications(now=now + timedelta(days=2)) == 0


def test_a_reminder_is_pushed_once_per_subject_and_severity(
    fcm: Fcm, customer, django_capture_on_commit_callbacks
):
    from tests.factories import InvoiceFactory

    phone(customer)
    today = timezone.localdate()
    invoice = InvoiceFactory(customer=customer, due_date=today + timedelta(days=2))
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        for day in range(4):  # two days before, the day before, the due date, overdue
            notify_invoice_due(user=customer.user, invoice=invoice, now=now + timedelta(days=day))
    severities = list(
        PushDelivery.objects.order_by("pk").values_list("notification__severity", flat=True)
    )
    assert severities == ["warning", "critical"]


def test_without_credentials_the_push_is_logged(
    settings, customer, django_capture_on_commit_callbacks, caplog
):
    settings.FCM_CREDENTIALS_FILE = ""
    phone(customer)
    with (
        caplog.at_level(logging.INFO, logger="notifications.push"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        verified(customer)
    delivery = PushDelivery.objects.get()
    assert delivery.status == PushStatus.LOGGED
    [record] = [r for r in caplog.records if r.name == "notifications.push"]
    assert "Your residence card is verified" in record.getMessage()
    assert "fcm-token-1" not in record.getMessage()  # the token is a credential


# --- Concurrency, on PostgreSQL -------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_tasks_push_once(fcm: Fcm, customer):
    phone(customer)
    fcm.delay = 0.3  # each send takes a while, so the duplicates overlap
    fcm.script = [internal_error()]  # the first attempt (on commit) fails: left pending
    with pytest.raises(Retry):
        verified(customer)  # autocommit: the task ran on commit, eagerly
    delivery = PushDelivery.objects.get()
    assert delivery.status == PushStatus.PENDING
    results = run_at_once(
        lambda: tasks.send_push_notifications.apply(args=[[delivery.pk]], throw=True).result,
        threads=5,
    )
    assert sorted(results, key=repr) == [0, 0, 0, 0, 1], [repr(result) for result in results]
    assert len(fcm.accepted) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_event_notified_at_once_is_one_push_per_device(fcm: Fcm, customer):
    phone(customer, "token-1")
    phone(customer, "token-2")
    results = run_at_once(lambda: verified(customer, "7"), threads=6)
    assert len([result for result in results if isinstance(result, Notification)]) == 1
    assert not [result for result in results if isinstance(result, Exception)]
    assert sorted(message["token"] for message in fcm.accepted) == ["token-1", "token-2"]


# --- A real worker, through the outbox (PostgreSQL, Redis) ---------------------------------


def _worker_environment(fcm: Fcm) -> dict[str, str]:
    from django.conf import settings

    return {"FCM_CREDENTIALS_FILE": settings.FCM_CREDENTIALS_FILE, "FCM_ENDPOINT": fcm.url}


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_celery_worker_pushes_once_through_the_outbox(fcm: Fcm, customer, tmp_path):
    from outbox.models import OutboxMessage
    from tests.reliability.processes import celery_worker, wait_for

    phone(customer)
    with celery_worker(
        tmp_path, application_name="push-worker", **_worker_environment(fcm)
    ) as worker:
        verified(customer)
        wait_for(lambda: fcm.accepted, what="the push", process=worker)
        delivery = PushDelivery.objects.get()
        assert OutboxMessage.objects.filter(
            task_name="notifications.tasks.send_push_notifications", args=[[delivery.pk]]
        ).exists()
        wait_for(
            lambda: PushDelivery.objects.filter(pk=delivery.pk, status="sent").exists(),
            what="the success recorded",
            process=worker,
        )
        # A redelivered task, twice: nothing more goes out.
        tasks.send_push_notifications.delay([delivery.pk])
        tasks.send_push_notifications.delay([delivery.pk])
        wait_for(
            lambda: worker.log_tail(20000).count("send_push_notifications[") >= 6,
            what="the duplicates to run",
            process=worker,
        )
    assert len(fcm.accepted) == 1


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_send_may_push_once_more_and_no_more(fcm: Fcm, customer, tmp_path):
    """FCM has no idempotency key: a push cut off between FCM's acceptance and the commit
    that records it is sent again by the sweep. The tag makes the phone replace the copy."""
    import os
    import signal

    from tests.reliability.processes import celery_worker, wait_for

    phone(customer)
    fcm.delay = 3  # FCM holds the request: the worker is killed while it waits
    with celery_worker(
        tmp_path, application_name="push-killed-worker", **_worker_environment(fcm)
    ) as worker:
        verified(customer)
        wait_for(lambda: fcm.arrived, what="the push to reach FCM", process=worker)
        os.killpg(worker.popen.pid, signal.SIGKILL)
        worker.popen.wait(timeout=10)
    wait_for(lambda: fcm.accepted, what="FCM to accept it")
    delivery = PushDelivery.objects.get()
    assert delivery.status == PushStatus.PENDING  # the success was never recorded
    fcm.delay = 0
    later = timezone.now() + push.PUSH_RETRY_AFTER + timedelta(minutes=1)
    assert push.retry_unsent_push_notifications(now=later) == 1  # runs in-process here
    delivery.refresh_from_db()
    assert delivery.status == PushStatus.SENT
    first, second = fcm.accepted
    assert first["android"]["notification"]["tag"] == second["android"]["notification"]["tag"]
    assert push.retry_unsent_push_notifications(now=later) == 0
    assert len(fcm.accepted) == 2


def test_an_announcement_to_many_phones_queues_in_a_few_statements(
    fcm: Fcm, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    from tests.factories import CustomerFactory

    customers = [CustomerFactory() for _ in range(40)]
    for index, customer in enumerate(customers):
        phone(customer, f"token-{index}")
        update_notification_preferences(
            user=customer.user, changes={"announcements": {"push": True}}
        )
    # The lock, the dedupe, the insert, the emails' preferences; the devices, the pushes'
    # preferences, the keys already queued and their insert: whatever the number of phones.
    with (
        django_assert_max_num_queries(10),
        django_capture_on_commit_callbacks(execute=False) as callbacks,
    ):
        assert announce([customer.user.pk for customer in customers]) == 40
    assert PushDelivery.objects.count() == 40
    assert len(callbacks) == 1  # one task: 40 deliveries fit in a batch
