"""The outbox: a request only writes its row; the dispatcher publishes it; a task records its
start and end on it, so a message the broker lost is published again, and only then."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
import redis
from celery import Celery, shared_task, states
from django.utils import timezone

from outbox import services
from outbox.models import OutboxMessage
from outbox.tasks import record_task_end
from portal.celery import app as celery_app
from tests.reliability.support import InProcessBroker, unreachable_broker

CALLS: list[int] = []
NOW = timezone.now()


@shared_task(name="tests.outbox.record_call")
def record_call(value: int) -> None:
    CALLS.append(value)


@shared_task(name="tests.outbox.fail_for_good")
def fail_for_good() -> None:
    raise ValueError("a bug")


@shared_task(bind=True, name="tests.outbox.retry_once", max_retries=1)
def retry_once(self) -> None:  # type: ignore[no-untyped-def]
    if not self.request.retries:
        raise self.retry(countdown=60)


class KeepingBroker(InProcessBroker):
    """A broker that takes every message and keeps it: no worker picks anything up."""

    def send_task(self, name, args, **options):  # type: ignore[no-untyped-def]
        self.delivered.append((name, list(args)))


def _celery_app(broker_url: str) -> Celery:
    app = Celery("outbox-test", set_as_current=False)
    # broker_write_url: Celery lets the CELERY_BROKER_URL variable override broker_url.
    app.conf.broker_write_url = broker_url
    app.conf.broker_connection_timeout = 1
    app.conf.broker_connection_retry = False
    app.conf.task_default_queue = "outbox-test"
    return app


@pytest.fixture
def broker_mode():
    """Celery configured with a broker (not eager), as in production."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield celery_app
    celery_app.conf.task_always_eager = eager


@pytest.fixture
def kept(broker_mode, monkeypatch) -> KeepingBroker:  # type: ignore[no-untyped-def]
    broker = KeepingBroker()
    monkeypatch.setattr(services, "app", broker)
    return broker


def _sent_once(*, at=NOW) -> OutboxMessage:  # type: ignore[no-untyped-def]
    message = OutboxMessage.objects.create(task_name="tests.outbox.record_call", args=[1])
    assert services.dispatch_pending(now=at) == 1
    message.refresh_from_db()
    return message


# --- Enqueueing and publishing ------------------------------------------------------------


@pytest.mark.django_db
def test_without_a_broker_the_task_runs_in_process_after_commit(django_capture_on_commit_callbacks):
    CALLS.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.enqueue_on_commit(record_call, 7)
        assert CALLS == []
    assert CALLS == [7]
    assert OutboxMessage.objects.count() == 0


@pytest.mark.django_db
def test_with_a_broker_enqueueing_only_writes_the_row_and_never_touches_the_broker(
    broker_mode, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "app", unreachable_broker())
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.enqueue_on_commit(record_call, 3)
    assert callbacks == []  # nothing runs after the commit: the request is done
    message = OutboxMessage.objects.get()
    assert (message.task_name, message.args) == ("tests.outbox.record_call", [3])
    assert (message.sent_at, message.attempts, message.last_error) == (None, 0, "")


@pytest.mark.django_db
def test_the_row_is_part_of_the_transaction_that_asked_for_it(broker_mode):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        services.enqueue_on_commit(record_call, 1)
        raise RuntimeError("the change failed")
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db
def test_a_broker_outage_keeps_the_message_pending_with_its_error(broker_mode, monkeypatch):
    services.enqueue_on_commit(record_call, 3)
    monkeypatch.setattr(services, "app", unreachable_broker())
    assert services.dispatch_pending(now=NOW) == 0
    message = OutboxMessage.objects.get()
    assert message.sent_at is None
    assert message.attempts == 1
    assert message.last_error


@pytest.mark.django_db
def test_the_first_refusal_ends_the_pass(broker_mode, monkeypatch):
    for value in range(3):
        services.enqueue_on_commit(record_call, value)
    monkeypatch.setattr(services, "app", unreachable_broker())
    services.dispatch_pending(now=NOW)
    assert sorted(OutboxMessage.objects.values_list("attempts", flat=True)) == [0, 0, 1]


@pytest.mark.django_db
def test_a_message_is_published_at_the_next_pass_with_its_rows_id(kept):
    services.enqueue_on_commit(record_call, 5)
    assert services.dispatch_pending(now=NOW) == 1
    assert kept.delivered == [("tests.outbox.record_call", [5])]
    message = OutboxMessage.objects.get()
    assert message.sent_at == NOW
    assert message.lost_after == NOW + services.LOST_AFTER
    assert services.dispatch_pending(now=NOW) == 0  # sent once, not again


@pytest.mark.django_db
@pytest.mark.redis
def test_pending_messages_are_published_once_the_broker_is_back(broker_mode, monkeypatch):
    broker_url = os.environ.get("CELERY_BROKER_URL") or os.environ["REDIS_URL"]
    queue = f"outbox-test-{os.getpid()}"
    client = redis.Redis.from_url(broker_url)
    client.delete(queue)
    message = OutboxMessage.objects.create(task_name="tests.outbox.record_call", args=[5])

    monkeypatch.setattr(services, "app", _celery_app("redis://127.0.0.1:1/0"))
    assert services.dispatch_pending() == 0

    live = _celery_app(broker_url)
    live.conf.task_default_queue = queue
    monkeypatch.setattr(services, "app", live)
    try:
        assert services.dispatch_pending() == 1
        assert client.llen(queue) == 1
        assert services.dispatch_pending() == 0  # sent once, not again
    finally:
        client.delete(queue)
    message.refresh_from_db()
    assert message.sent_at is not None


@pytest.mark.django_db
def test_sent_messages_are_purged_after_a_week():
    old = OutboxMessage.objects.create(task_name="x", sent_at=timezone.now() - timedelta(days=8))
    recent = OutboxMessage.objects.create(task_name="x", sent_at=timezone.now() - timedelta(days=1))
    pending = OutboxMessage.objects.create(task_name="x")
    assert services.purge_sent() == 1
    assert set(OutboxMessage.objects.values_list("id", flat=True)) == {recent.pk, pending.pk}
    assert not OutboxMessage.objects.filter(pk=old.pk).exists()


# --- Lost messages ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_message_never_picked_up_is_published_again_two_minutes_after_it_was_sent(kept):
    message = _sent_once()
    assert services.requeue_lost(now=NOW + services.LOST_AFTER - timedelta(seconds=1)) == 0
    later = NOW + services.LOST_AFTER
    assert services.requeue_lost(now=later) == 1
    assert services.dispatch_pending(now=later) == 1
    assert kept.delivered == [("tests.outbox.record_call", [1])] * 2
    message.refresh_from_db()
    assert (message.lost_count, message.sent_at) == (1, later)


@pytest.mark.django_db
def test_a_task_records_its_start_and_end_and_is_never_published_again(broker_mode, monkeypatch):
    monkeypatch.setattr(services, "app", InProcessBroker())  # runs what is published, at once
    CALLS.clear()
    services.enqueue_on_commit(record_call, 9)
    assert services.dispatch_pending(now=NOW) == 1
    assert CALLS == [9]
    message = OutboxMessage.objects.get()
    assert message.started_at is not None and message.finished_at is not None
    assert services.requeue_lost(now=NOW + timedelta(days=1)) == 0


@pytest.mark.django_db
def test_a_task_that_failed_for_good_is_finished_too(kept):
    services.enqueue_on_commit(fail_for_good)
    services.dispatch_pending(now=NOW)
    message = OutboxMessage.objects.get()
    # As a worker runs the message it took: with its headers.
    result = fail_for_good.apply(headers={services.MESSAGE_HEADER: message.pk}, throw=False)
    assert result.failed()
    message.refresh_from_db()
    assert message.started_at is not None and message.finished_at is not None


@pytest.mark.django_db
def test_a_task_waiting_for_its_retry_is_left_to_it_for_its_retry_window(kept):
    message = _sent_once()
    started = NOW + timedelta(seconds=5)
    window = timedelta(minutes=20)
    services.record_started(message_id=message.pk, retry_window=window, now=started)

    # Well past the two minutes of a message never picked up, within the task's window.
    assert services.requeue_lost(now=started + window - timedelta(seconds=1)) == 0
    assert services.requeue_lost(now=started + window) == 1
    assert services.dispatch_pending(now=started + window) == 1


@pytest.mark.django_db
def test_an_attempt_that_ends_in_a_retry_leaves_the_message_unfinished(kept):
    message = _sent_once()
    retry_once.push_request(headers={services.MESSAGE_HEADER: message.pk})
    try:
        record_task_end(sender=retry_once, state=states.RETRY)
        message.refresh_from_db()
        assert message.finished_at is None
        record_task_end(sender=retry_once, state=states.SUCCESS)
    finally:
        retry_once.pop_request()
    message.refresh_from_db()
    assert message.finished_at is not None


@pytest.mark.django_db
def test_a_task_starting_while_it_is_published_keeps_its_window(kept):
    message = OutboxMessage.objects.create(task_name="tests.outbox.record_call", args=[1])
    window = timedelta(minutes=20)
    services.record_started(message_id=message.pk, retry_window=window, now=NOW)  # already
    services.dispatch_pending(now=NOW)
    message.refresh_from_db()
    assert message.lost_after == NOW + window


@pytest.mark.django_db
def test_a_message_lost_five_times_is_left_for_a_person(kept):
    message = _sent_once()
    now = NOW
    for _ in range(services.MAX_LOST):
        now += services.LOST_AFTER
        assert services.requeue_lost(now=now) == 1
        assert services.dispatch_pending(now=now) == 1
    assert services.requeue_lost(now=now + timedelta(days=1)) == 0
    message.refresh_from_db()
    assert message.lost_count == services.MAX_LOST
    assert message.finished_at is None


@pytest.mark.django_db
def test_a_finished_message_is_never_published_again(kept):
    message = _sent_once()
    services.record_finished(message_id=message.pk, now=NOW + timedelta(seconds=1))
    assert services.requeue_lost(now=NOW + timedelta(days=1)) == 0
